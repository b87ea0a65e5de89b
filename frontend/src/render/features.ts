/**
 * Features: per sample, bars of the features sorted by |attribution| at one
 * step; over steps, a features x steps heatmap of the mean |attribution|
 * over the probe (how feature importance changes while training), runs side
 * by side. The bars are also the part Browse shows for a features map.
 */
import type {ManifestItem, SeriesData, StepEntry} from '../api';
import {barFraction, Matrix, meanAbsolute, sortedFeatures, valueIndex} from '../attribution';
import {lut, resolveColormap} from '../colormap';
import {h} from '../dom';
import {entryAtOrBefore, predictedBySample, Series, snapStep} from '../model';
import {rawMap} from '../npy';
import {displayRange, formatValue, RawRange} from '../scale';
import type {Look} from './cell';
import {
  blockFailed,
  captionLines,
  Ctx,
  empty,
  inputsOf,
  legend,
  loadBlock,
  loadingPart,
  loadSeries,
  lookFor,
  Part,
  placeholderCells,
  rangeOver,
  rowAt,
  seriesSection,
  skippedStepsNote,
  ViewImpl,
} from './context';
import {explainSeries, visibleItems} from './explain';
import {matrixView, ownColumnRange} from './matrix';

const LAYOUTS = ['features'] as const;

/** The names of the features a series explains: its inputs series' `feature_names`. */
export function featureNames(ctx: Ctx, s: Series): string[] {
  const tag = inputsOf(ctx, s);
  return (tag ? ctx.tags.runs[s.run]?.[tag]?.feature_names : null) ?? [];
}

/** A features map's raw values, the features' names and the sample's raw input values (when logged). */
export interface FeatureSource {
  values: Float64Array;
  item: ManifestItem;
  names: string[];
  inputs: Float64Array | null;
  signed: boolean;
}

/** The raw input values of `sample` at `step` (or earlier), restored from the inputs row's own range; null if none. */
async function featureInputs(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<Float64Array | null> {
  const tag = inputsOf(ctx, s);
  const row = tag ? await rowAt(ctx, s.run, tag, step, sample) : null;
  if (!row) return null;
  const g = await ctx.images.gray(row.entry.images[row.index]);
  return Float64Array.from(rawMap(g.data, row.entry.manifest.items[row.index]));
}

/** Decodes the features map of item `i` of `entry` with its names and inputs. Rejects when the map cannot be loaded. */
export async function featureSource(ctx: Ctx, s: Series, entry: StepEntry, i: number): Promise<FeatureSource> {
  const item = entry.manifest.items[i];
  const inputsP = featureInputs(ctx, s, entry.step, item.sample).catch(() => null);
  const [heat, inputs] = await Promise.all([ctx.images.gray(entry.images[i]), inputsP]);
  return {values: Float64Array.from(rawMap(heat.data, item)), item, names: featureNames(ctx, s), inputs, signed: s.info.signed};
}

/** One sample's features as bars sorted by |attribution| (coloured by value), each with its input value. */
export function featureBars(ctx: Ctx, src: FeatureSource, look: Look): HTMLElement {
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const list = h('div', {className: 'bars', attrs: {role: 'list'}});
  for (const b of sortedFeatures(src.values, src.names, src.inputs)) {
    const k = valueIndex(b.value, display, src.signed);
    const color = `rgb(${look.table[k * 3]},${look.table[k * 3 + 1]},${look.table[k * 3 + 2]})`;
    const name = b.input === null ? b.name : `${b.name} = ${formatValue(b.input)}`;
    const row = h(
      'div',
      {className: 'bar-row', attrs: {role: 'listitem', 'aria-label': `${name}: ${formatValue(b.value)}`}, dataset: {feature: String(b.index), value: String(b.value)}},
      h('span', {className: 'bar-name', attrs: {title: name}}, name),
      h('span', {className: 'bar-track'}, h('span', {className: 'bar', style: {width: `${(barFraction(b.value, display) * 100).toFixed(1)}%`, background: color}})),
      h('span', {className: 'bar-value'}, formatValue(b.value)),
    );
    row.addEventListener('mousemove', (ev) => ctx.hover.show(`${name}: attribution ${formatValue(b.value)}`, ev));
    row.addEventListener('mouseleave', () => ctx.hover.hide());
    list.appendChild(row);
  }
  return list;
}

/** The figure of one features map (item `i` of `entry`) with `lines` as its caption, painted once loaded. */
export function featurePart(ctx: Ctx, s: Series, entry: StepEntry, i: number, look: Look, lines: string[], correct: boolean | null): Part {
  return loadingPart('bars', i, lines, correct, () => featureSource(ctx, s, entry, i).then((src) => featureBars(ctx, src, look)));
}

/**
 * The features x steps matrix of a series: each step's mean |attribution|
 * of each feature over the step's visible samples (NaN where a step's
 * strip could not be read).
 */
async function importance(ctx: Ctx, s: Series, data: SeriesData): Promise<Matrix> {
  const perStep = await Promise.all(
    data.steps.map(async (entry) => {
      const idx = visibleItems(ctx, entry);
      const rows = await Promise.all(idx.map((i) => ctx.images.gray(entry.images[i]).then((g) => rawMap(g.data, entry.manifest.items[i]))));
      return meanAbsolute(rows);
    }).map((p) => p.catch(() => null)),
  );
  const width = Math.max(0, ...perStep.map((v) => v?.length ?? 0));
  const names = featureNames(ctx, s);
  const cols = data.steps.length;
  const values = new Float64Array(width * cols).fill(NaN);
  perStep.forEach((v, c) => v?.forEach((x, r) => (values[r * cols + c] = x)));
  return {rows: Array.from({length: width}, (_, r) => names[r] || `feature ${r}`), cols: data.steps.map((e) => e.step), values};
}

/** The largest finite value of some matrices, as a range from 0 (null if none). */
function magnitudeRange(ms: readonly Matrix[]): RawRange | null {
  let hi = -Infinity;
  for (const m of ms) for (const v of m.values) if (Number.isFinite(v) && v > hi) hi = v;
  return hi >= 0 ? {min: 0, max: hi} : null;
}

interface Loaded {
  data: SeriesData;
  matrix: Matrix;
}

/** The series' steps and its importance matrix (both cached by the api and image caches). */
async function loadImportance(ctx: Ctx, s: Series): Promise<Loaded> {
  const data = await loadBlock(ctx, s);
  return {data, matrix: await importance(ctx, s, data)};
}

/** Fills one run's column: the importance heatmap, then the bars of each visible sample at `step`. */
async function fill(
  ctx: Ctx,
  s: Series,
  loaded: Promise<Loaded>,
  block: HTMLElement,
  ph: HTMLElement,
  stepLabel: HTMLElement,
  step: number | null,
  look: Look,
  shared: RawRange | null,
): Promise<void> {
  let got: Loaded;
  try {
    got = await loaded;
  } catch (e) {
    blockFailed(block, ph, e);
    return;
  }
  const {data, matrix} = got;
  const entry = entryAtOrBefore(data.steps, step);
  stepLabel.textContent = entry ? `step ${entry.step}` : 'no steps';
  const parts: HTMLElement[] = [];
  const skipped = skippedStepsNote(data.skipped);
  if (skipped) parts.push(skipped);
  const own = snapStep(matrix.cols, step);
  const table = lut(resolveColormap(ctx.state.colormap === 'bwr' ? 'viridis' : ctx.state.colormap, false));
  if (matrix.cols.length > 0) {
    parts.push(
      matrixView(matrix, {
        rangeOf: shared ? () => shared : ownColumnRange(matrix, true),
        signed: false,
        table,
        hover: ctx.hover,
        rowName: 'feature',
        valueName: 'mean |attribution|',
        current: own === null ? null : matrix.cols.indexOf(own),
        label: `mean |attribution| over the samples, per step (${shared ? `0 to ${formatValue(shared.max)}, shared` : 'each step its own range'})`,
      }),
    );
  }
  const cells = h('div', {className: 'cells'});
  parts.push(cells);
  ph.replaceWith(...parts);
  block.dataset.loaded = 'true';
  if (!entry) return;
  const idx = visibleItems(ctx, entry);
  const predicted = predictedBySample(entry.manifest.items);
  const paints = idx.map((i) => {
    const {lines, correct} = captionLines(entry.manifest.items[i], predicted, entry.manifest.target_name);
    const part = featurePart(ctx, s, entry, i, look, lines, correct);
    cells.appendChild(part.el);
    return part.done;
  });
  if (idx.length === 0) cells.appendChild(empty('No samples match the filters at this step.'));
  await Promise.all(paints);
}

export const featuresView: ViewImpl = {
  series: (ctx) => explainSeries(ctx, LAYOUTS),
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const series = explainSeries(ctx, LAYOUTS);
    const root = h('div', {className: 'features-view'});
    if (series.length === 0) {
      root.appendChild(empty('No feature attributions in the selected runs (a tabular model explained with tbexplain.ExplainCallback).'));
      return root;
    }
    const sharedScale = ctx.state.scale === 'shared';
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, sharedScale ? rangeOver(await loadSeries(ctx, series)) : null);
    // A shared scale compares importance across runs: every run's matrix is needed first;
    // otherwise each column loads as it comes near the screen.
    const loads = sharedScale ? series.map((s) => loadImportance(ctx, s)) : null;
    const shared = loads ? magnitudeRange((await Promise.allSettled(loads)).flatMap((r) => (r.status === 'fulfilled' ? [r.value.matrix] : []))) : null;
    root.appendChild(legend(look, signed));
    const columns = h('div', {className: 'feature-runs'});
    series.forEach((s, k) => {
      const ph = placeholderCells(ctx, s.info.samples);
      const {block, stepLabel} = seriesSection(ctx, s, s.info.display_name || s.tag, ph);
      block.classList.add('feature-run');
      ctx.lazy.add(block, () => fill(ctx, s, loads?.[k] ?? loadImportance(ctx, s), block, ph, stepLabel, step, look, shared));
      columns.appendChild(block);
    });
    root.appendChild(columns);
    return root;
  },
};
