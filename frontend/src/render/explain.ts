/** Selection helpers shared by the explanation views (browse, epochs, compare). */
import type {StepEntry} from '../api';
import {facets, filterItems, matchingSeries, Series, seriesOfKind, unionSteps} from '../model';
import type {Ctx} from './context';
import {loadSeries} from './context';

export interface ExplainData {
  series: Series[];
  entries: StepEntry[][];
}

/** The explanation series of the current method/layer in the active runs, loaded. */
export async function explainData(ctx: Ctx): Promise<ExplainData> {
  const all = seriesOfKind(ctx.tags, ctx.runs, 'explanation');
  const f = facets(all, ctx.state.method, ctx.state.layer);
  const series = matchingSeries(all, f.method, f.layer);
  // Start fetching the inputs under the maps now rather than after the maps' manifests.
  for (const s of series) {
    if (s.info.inputs_tag && ctx.tags.runs[s.run]?.[s.info.inputs_tag]) void ctx.api.series(s.run, s.info.inputs_tag).catch(() => undefined);
  }
  const entries = await loadSeries(ctx, series);
  return {series, entries};
}

/** Steps offered by the explanation views. */
export async function explainSteps(ctx: Ctx): Promise<number[]> {
  const d = await explainData(ctx);
  return unionSteps(d.entries.map((es) => es.map((e) => e.step)));
}

/** The item indices of an entry that pass the class / label / correctness filters. */
export function visibleItems(ctx: Ctx, entry: StepEntry): number[] {
  return filterItems(entry.manifest.items, {
    classId: ctx.state.classId,
    label: ctx.state.label,
    correctness: ctx.state.correctness,
  });
}
