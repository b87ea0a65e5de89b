/** Selection helpers shared by the explanation views (browse, epochs, compare). */
import type {StepEntry, TagsResponse} from '../api';
import {facets, filterItems, matchingSeries, Series, seriesOfKind} from '../model';
import type {Ctx} from './view';

/**
 * The explanation series of the active runs that a view of `layouts` shows
 * (null: every layout, by the series' recorded layout), among which the
 * method and layer facets are chosen.
 */
export function facetSeries(tags: TagsResponse, runs: readonly string[], layouts: readonly string[] | null): Series[] {
  const all = seriesOfKind(tags, runs, 'explanation');
  return layouts ? all.filter((s) => layouts.includes(s.info.layout ?? '')) : all;
}

/** The explanation series of the current method/layer in the active runs (from /tags alone), of `layouts` (null: all). */
export function explainSeries(ctx: Ctx, layouts: readonly string[] | null = null): Series[] {
  const all = facetSeries(ctx.tags, ctx.runs, layouts);
  const f = facets(all, ctx.state.method, ctx.state.layer);
  return matchingSeries(all, f.method, f.layer);
}

/**
 * The item indices of an entry that pass the class / label / correctness
 * filters. The class filter does not apply to a named (callable) target,
 * whose rows have no class.
 */
export function visibleItems(ctx: Ctx, entry: StepEntry): number[] {
  return filterItems(entry.manifest.items, {
    classId: entry.manifest.target_name ? null : ctx.state.classId,
    label: ctx.state.label,
    correctness: ctx.state.correctness,
  });
}
