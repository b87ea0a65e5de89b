/**
 * Text: each sample's tokens coloured by their attribution at one step (the
 * value on hover; drawn by `layouts/tokens.ts`, as in Browse), and a tokens x
 * steps heatmap of one sample.
 */
import type {ManifestItem, StepEntry} from '../api';
import {Matrix} from '../attribution';
import {h} from '../dom';
import {rowPart} from '../layouts';
import {tokenInputs} from '../layouts/tokens';
import {entryAtOrBefore, predictedBySample, Series, snapStep} from '../model';
import {displayRange, rawValue} from '../scale';
import type {Look} from './cell';
import {explainSeries, visibleItems} from './explain';
import {matrixView} from './matrix';
import {knownSamples} from './samples';
import {loadBlock, loadSeries, rangeOver} from './sources';
import type {Ctx, ViewImpl} from './view';
import {blockFailed, captionLines, effectiveSample, empty, legend, lookFor, placeholderCells, sampleSelect, seriesSection, skippedStepsNote} from './widgets';

const LAYOUTS = ['tokens'] as const;

/** The tokens x steps matrix of `sample` over `entries` (rows: its tokens, columns: steps) and each column's item. */
async function sampleMatrix(ctx: Ctx, s: Series, entries: readonly StepEntry[], sample: number): Promise<{m: Matrix; items: ManifestItem[]}> {
  const cols: {entry: StepEntry; i: number}[] = [];
  for (const entry of entries) {
    const i = visibleItems(ctx, entry).find((j) => entry.manifest.items[j].sample === sample);
    if (i !== undefined) cols.push({entry, i});
  }
  const heats = await Promise.all(cols.map(({entry, i}) => ctx.images.gray(entry.images[i]).catch(() => null)));
  const last = cols[cols.length - 1];
  const inputs = last ? await tokenInputs(ctx, s, last.entry.step, sample).catch(() => ({tokens: null, present: null})) : {tokens: null, present: null};
  const width = Math.max(0, ...heats.map((g) => g?.width ?? 0));
  const positions = Array.from({length: width}, (_, t) => t).filter((t) => !inputs.present || inputs.present[t] !== 0);
  const values = new Float64Array(positions.length * cols.length).fill(NaN);
  cols.forEach(({entry, i}, c) => {
    const g = heats[c];
    if (!g) return;
    positions.forEach((t, r) => {
      if (t < g.width) values[r * cols.length + c] = rawValue(g.data[t], entry.manifest.items[i]);
    });
  });
  const rows = positions.map((t) => inputs.tokens?.[t] || `#${t}`);
  return {m: {rows, cols: cols.map((c) => c.entry.step), values}, items: cols.map(({entry, i}) => entry.manifest.items[i])};
}

/**
 * Fills one series block: the tokens of every visible sample at `step` (with
 * `look`), then the tokens x steps heatmap of `sample` (with `sampleLook`,
 * whose shared range is that sample's).
 */
async function fill(
  ctx: Ctx,
  s: Series,
  block: HTMLElement,
  ph: HTMLElement,
  stepLabel: HTMLElement,
  step: number | null,
  sample: number,
  look: Look,
  sampleLook: Look,
): Promise<void> {
  let data;
  try {
    data = await loadBlock(ctx, s);
  } catch (e) {
    blockFailed(block, ph, e);
    return;
  }
  const entry = entryAtOrBefore(data.steps, step);
  stepLabel.textContent = entry ? `step ${entry.step}` : 'no steps';
  const rows = h('div', {className: 'token-rows'});
  const over = h('div', {className: 'over-steps'});
  const skipped = skippedStepsNote(data.skipped);
  ph.replaceWith(...(skipped ? [skipped, rows, over] : [rows, over]));
  block.dataset.loaded = 'true';
  if (!entry) return;
  const idx = visibleItems(ctx, entry);
  const predicted = predictedBySample(entry.manifest.items);
  const parts = idx.map((i) => {
    const {lines, correct} = captionLines(entry.manifest.items[i], predicted, entry.manifest.target_name);
    const part = rowPart(ctx, {s, entry, i, lines, correct}, look);
    rows.appendChild(part.el);
    return part.load();
  });
  if (idx.length === 0) rows.appendChild(empty('No samples match the filters at this step.'));
  const {m, items} = await sampleMatrix(ctx, s, data.steps, sample);
  if (m.cols.length === 0) {
    over.appendChild(empty(`Sample ${sample} is not in this series (or filtered out).`));
  } else {
    const own = snapStep(m.cols, step);
    over.appendChild(
      matrixView(m, {
        rangeOf: (c) => displayRange(items[c], sampleLook.scale, sampleLook.shared, s.info.signed),
        signed: s.info.signed,
        table: sampleLook.table,
        hover: ctx.hover,
        rowName: 'token',
        valueName: 'attribution',
        current: own === null ? null : m.cols.indexOf(own),
        label: `sample ${sample}: tokens x steps`,
      }),
    );
  }
  await Promise.all(parts);
}

export const textView: ViewImpl = {
  series: (ctx) => explainSeries(ctx, LAYOUTS),
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const series = explainSeries(ctx, LAYOUTS);
    const root = h('div', {className: 'text-view'});
    if (series.length === 0) {
      root.appendChild(empty('No token attributions in the selected runs (a text model explained with tbexplain.ExplainCallback).'));
      return root;
    }
    const all = ctx.state.scale === 'shared' ? await loadSeries(ctx, series) : null;
    const samples = knownSamples(ctx, series);
    const sample = effectiveSample(ctx, samples);
    root.appendChild(h('div', {className: 'view-controls'}, sampleSelect(ctx, samples), h('span', {className: 'muted'}, 'the tokens x steps heatmap of each series is of this sample')));
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, all ? rangeOver(all) : null);
    // The heatmap of one sample shares the range of that sample's maps (as Over epochs does).
    const sampleLook = {...look, shared: all ? rangeOver(all, (it) => it.sample === sample) : null};
    root.appendChild(legend(look, signed));
    for (const s of series) {
      const ph = placeholderCells(ctx, s.info.samples);
      const {block, stepLabel} = seriesSection(ctx, s, s.info.display_name || s.tag, ph);
      ctx.lazy.add(block, () => fill(ctx, s, block, ph, stepLabel, step, sample, look, sampleLook));
      root.appendChild(block);
    }
    return root;
  },
};
