/**
 * Compare runs: the same method/layer/class at the same step, runs side by
 * side, each map drawn by its layout (`layouts/`) as Browse draws it.
 */
import type {StepEntry} from '../api';
import {h} from '../dom';
import {blockControls, rowPart} from '../layouts';
import {alignRows, entryAtOrBefore, predictedBySample, rowKeys, Series} from '../model';
import {explainSeries, visibleItems} from './explain';
import {loadSeries, rangeOver} from './sources';
import type {Ctx, Part, ViewImpl} from './view';
import {captionLines, empty, legend, lookFor, note, placeholderCells, runChip} from './widgets';

/** At most this many runs side by side (more do not fit a screen); the note says so. */
export const COMPARE_MAX_RUNS = 8;

function compared(ctx: Ctx): {series: Series[]; runs: string[]} {
  const runs = ctx.runs.slice(0, COMPARE_MAX_RUNS);
  const keep = new Set(runs);
  return {series: explainSeries(ctx).filter((s) => keep.has(s.run)), runs};
}

/** One tag's grid: a column per run, a row per (sample, rank). */
async function fill(ctx: Ctx, tag: string, cols: Series[], section: HTMLElement, ph: HTMLElement, step: number | null): Promise<void> {
  let data;
  try {
    data = await loadSeries(ctx, cols);
  } catch (e) {
    ph.replaceWith(note(`could not load ${tag}: ${(e as Error).message}`, {failed: 'true'}));
    return;
  }
  const signed = cols.some((s) => s.info.signed);
  const look = lookFor(ctx, signed, rangeOver(data));
  const at = data.map((d) => entryAtOrBefore(d.steps, step));
  const keyed = at.map((e) => (e ? rowKeys(e.manifest.items, visibleItems(ctx, e)) : new Map<string, number>()));
  const rows = alignRows(keyed);
  const grid = h('div', {className: 'compare', style: {'grid-template-columns': `repeat(${cols.length}, minmax(var(--cell), max-content))`}, dataset: {tag}});
  cols.forEach((s, c) => {
    grid.appendChild(h('div', {className: 'col-head', dataset: {run: s.run}}, runChip(ctx, s.run), h('div', {className: 'step-label'}, at[c] ? `step ${at[c]!.step}` : 'no steps')));
  });
  const parts: Part[] = [];
  for (const rk of rows) {
    cols.forEach((s, c) => {
      const e = at[c];
      const i = keyed[c].get(rk);
      if (!e || i === undefined) {
        grid.appendChild(h('div', {className: 'empty'}, '—'));
        return;
      }
      const {lines, correct} = captionLines(e.manifest.items[i], predictedBySample(e.manifest.items), e.manifest.target_name);
      const part = rowPart(ctx, {s, entry: e, i, lines, correct}, look);
      part.el.dataset.run = s.run;
      grid.appendChild(part.el);
      parts.push(part);
    });
  }
  const shown = at.filter((e): e is StepEntry => e !== null);
  ph.replaceWith(legend(look, signed), ...blockControls(shown, parts), grid);
  section.dataset.loaded = 'true';
  await Promise.all(parts.map((p) => p.load()));
}

export const compareView: ViewImpl = {
  series: (ctx) => compared(ctx).series,
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const {series, runs} = compared(ctx);
    const root = h('div', {className: 'compare-view'});
    if (ctx.runs.length < 2) root.appendChild(empty('Select two or more runs to compare them side by side.'));
    if (ctx.runs.length > runs.length) {
      root.appendChild(note(`Comparing the first ${runs.length} of ${ctx.runs.length} selected runs; select fewer runs (or filter them) to choose which.`, {capped: 'true'}));
    }
    if (series.length === 0) {
      root.appendChild(empty('No explanations in the selected runs.'));
      return root;
    }
    const byTag = new Map<string, Series[]>();
    for (const s of series) byTag.set(s.tag, [...(byTag.get(s.tag) ?? []), s]);
    for (const [tag, cols] of byTag) {
      const ph = placeholderCells(ctx, 1);
      const section = h('section', {className: 'series', dataset: {tag, loaded: 'false'}}, h('div', {className: 'series-head'}, h('span', {className: 'tag'}, tag)), ph);
      ctx.lazy.add(section, () => fill(ctx, tag, cols, section, ph, step));
      root.appendChild(section);
    }
    return root;
  },
};
