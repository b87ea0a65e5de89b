/** Which probe samples a view can offer before all its series are loaded. */
import {sampleOptions, Series} from '../model';
import type {Ctx} from './view';

/**
 * The samples of the series loaded so far, and 0..n-1 for the n probe
 * images of each series' inputs series (from /tags), sorted.
 */
export function knownSamples(ctx: Ctx, series: readonly Series[]): number[] {
  const manifests = series.flatMap((s) => ctx.api.peekSeries(s.run, s.tag)?.steps.map((e) => e.manifest.items) ?? []);
  const known = new Set(sampleOptions(manifests));
  for (const s of series) {
    const n = s.info.inputs_tag ? ctx.tags.runs[s.run]?.[s.info.inputs_tag]?.samples : null;
    for (let i = 0; i < (n ?? 0); i++) known.add(i);
  }
  return [...known].sort((a, b) => a - b);
}
