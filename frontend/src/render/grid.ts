/**
 * Browse: for each run and series, the probe samples at one step with their
 * maps, each drawn by its layout (`layouts/`). A run's maps of several
 * inputs are grouped by sample, so they read together.
 */
import {h} from '../dom';
import {blockControls, rowPart} from '../layouts';
import {alignRows, entryAtOrBefore, groupByRun, predictedBySample, rowKeys, Series} from '../model';
import type {Look} from './cell';
import {explainSeries, visibleItems} from './explain';
import {loadBlock, loadSeries, rangeOver} from './sources';
import type {Ctx, Part, ViewImpl} from './view';
import {blockFailed, caption, captionLines, empty, legend, lookFor, placeholderCells, rangeLines, seriesSection, skippedStepsNote} from './widgets';

/** What names a series within a run's group: the model input it explains, else its tag. */
function inputLabel(s: Series): string {
  return s.info.input_name || s.tag;
}

/**
 * Fills one block: the entries of its series (one, or a run's series of
 * several inputs) at `step`, a cell per visible map, or per sample a group
 * of the sample's maps, each drawn by its layout; with the layouts' controls
 * above (a frame slider).
 */
async function fill(ctx: Ctx, group: Series[], block: HTMLElement, ph: HTMLElement, stepLabel: HTMLElement, step: number | null, look: Look): Promise<void> {
  let datas;
  try {
    datas = await Promise.all(group.map((s) => loadBlock(ctx, s)));
  } catch (e) {
    blockFailed(block, ph, e);
    return;
  }
  const entries = datas.map((d) => entryAtOrBefore(d.steps, step));
  const shownSteps = [...new Set(entries.flatMap((e) => (e ? [e.step] : [])))];
  stepLabel.textContent = shownSteps.length ? `step ${shownSteps.join(', ')}` : 'no steps';
  const cells = h('div', {className: 'cells'});
  const notes = datas.flatMap((d, k) => {
    const n = skippedStepsNote(d.skipped);
    if (n && group.length > 1) n.prepend(`${inputLabel(group[k])}: `);
    return n ? [n] : [];
  });
  ph.replaceWith(...notes, cells);
  block.dataset.loaded = 'true';
  const keyed = entries.map((e) => (e ? rowKeys(e.manifest.items, visibleItems(ctx, e)) : new Map<string, number>()));
  const parts: Part[] = [];
  for (const rk of alignRows(keyed)) {
    if (group.length === 1) {
      const e = entries[0]!;
      const i = keyed[0].get(rk)!;
      const {lines, correct} = captionLines(e.manifest.items[i], predictedBySample(e.manifest.items), e.manifest.target_name);
      const part = rowPart(ctx, {s: group[0], entry: e, i, lines, correct}, look);
      cells.appendChild(part.el);
      parts.push(part);
      continue;
    }
    const members = group.flatMap((s, k) => {
      const e = entries[k];
      const i = keyed[k].get(rk);
      return e && i !== undefined ? [{s, e, i}] : [];
    });
    const first = members[0];
    const head = captionLines(first.e.manifest.items[first.i], predictedBySample(first.e.manifest.items), first.e.manifest.target_name, false);
    const sampleBox = h('div', {className: 'sample-group', dataset: {sample: rk.split(':')[0]}}, caption(head.lines, head.correct));
    for (const {s, e, i} of members) {
      const part = rowPart(ctx, {s, entry: e, i, lines: [inputLabel(s), ...rangeLines(e.manifest.items[i])], correct: null}, look);
      part.el.dataset.input = inputLabel(s);
      sampleBox.appendChild(part.el);
      parts.push(part);
    }
    cells.appendChild(sampleBox);
  }
  if (parts.length === 0 && entries.some((e) => e)) cells.appendChild(empty('No samples match the filters at this step.'));
  cells.before(...blockControls(entries.flatMap((e) => (e ? [e] : [])), parts));
  await Promise.all(parts.map((p) => p.load()));
}

export const gridView: ViewImpl = {
  series: (ctx) => explainSeries(ctx),
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const series = explainSeries(ctx);
    const root = h('div', {className: 'grid-view'});
    if (series.length === 0) {
      root.appendChild(empty('No explanations in the selected runs. Log some with tbexplain.ExplainCallback.'));
      return root;
    }
    const signed = series.some((s) => s.info.signed);
    // A shared scale needs every manifest of the selection (not the blobs).
    const shared = ctx.state.scale === 'shared' ? rangeOver(await loadSeries(ctx, series)) : null;
    const look = lookFor(ctx, signed, shared);
    root.appendChild(legend(look, signed));
    for (const group of groupByRun(series)) {
      const s = group[0];
      const samples = Math.max(0, ...group.map((g) => g.info.samples ?? 0)) || null;
      const ph = placeholderCells(ctx, samples);
      const label = group.length === 1 ? s.info.display_name || s.tag : `${s.info.method}${s.info.layer ? ` · ${s.info.layer}` : ''} · inputs ${group.map(inputLabel).join(', ')}`;
      const {block, stepLabel} = seriesSection(ctx, s, label, ph);
      if (group.length > 1) {
        block.dataset.tag = group.map((g) => g.tag).join(' ');
        block.dataset.group = 'inputs';
      }
      ctx.lazy.add(block, () => fill(ctx, group, block, ph, stepLabel, step, look));
      root.appendChild(block);
    }
    return root;
  },
};
