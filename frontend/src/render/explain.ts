/** Selection helpers shared by the explanation views (browse, epochs, compare). */
import type {StepEntry} from '../api';
import {facets, filterItems, matchingSeries, Series, seriesOfKind} from '../model';
import type {Ctx} from './context';

/** The explanation series of the current method/layer in the active runs (from /tags alone). */
export function explainSeries(ctx: Ctx): Series[] {
  const all = seriesOfKind(ctx.tags, ctx.runs, 'explanation');
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
