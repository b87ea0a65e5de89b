/**
 * Features: per sample, bars of the features sorted by |attribution| at one
 * step; over steps, a features x steps heatmap of the mean |attribution|
 * over the probe (how feature importance changes while training), runs side
 * by side. The bars are drawn by `layouts/features.ts`, as in Browse.
 */
import type {SeriesData} from '../api';
import {Matrix, meanAbsolute} from '../attribution';
import {lut, resolveColormap} from '../colormap';
import {h} from '../dom';
import {rowPart} from '../layouts';
import {featureNames} from '../layouts/features';
import {entryAtOrBefore, predictedBySample, Series, snapStep} from '../model';
import {rawMap} from '../npy';
import {formatValue, RawRange} from '../scale';
import type {Look} from './cell';
import {explainSeries, visibleItems} from './explain';
import {matrixView, ownColumnRange} from './matrix';
import {loadBlock, loadSeries, rangeOver} from './sources';
import type {Ctx, ViewImpl} from './view';
import {blockFailed, captionLines, empty, legend, lookFor, placeholderCells, seriesSection, skippedStepsNote} from './widgets';

const LAYOUTS = ['features'] as const;

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
    const part = rowPart(ctx, {s, entry, i, lines, correct}, look);
    cells.appendChild(part.el);
    return part.load();
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
