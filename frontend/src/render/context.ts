/** What every view gets from the app, and helpers shared by the views. */
import type {Api, ManifestItem, SeriesData, SkippedStep, StepEntry, TagsResponse} from '../api';
import {lut, resolveColormap} from '../colormap';
import {h, select} from '../dom';
import type {Gray, ImageCache} from '../images';
import {frameCount, Layout, seriesLayout} from '../layout';
import type {Lazy} from '../lazy';
import {entryAtOrBefore, explainedName, inputIndex, isCorrect, runColor, Series} from '../model';
import {formatValue, RawRange, sharedRange, symmetric} from '../scale';
import type {UiState} from '../state';
import {CAPTION_PX, CELL_PX, GAP_PX} from '../style';
import type {HeatSource, HoverSink, Look} from './cell';

export interface LargeView {
  title: string;
  lines: string[];
  src?: HeatSource;
  look?: Look;
  bitmap?: ImageBitmap;
  /** File name of the downloads, without extension (run, tag, step, sample). */
  file: string;
  /** The frame of a volume shown first. */
  frame?: number;
}

export interface Ctx {
  api: Api;
  images: ImageCache;
  tags: TagsResponse;
  state: UiState;
  /** All run names, sorted. */
  allRuns: string[];
  /** Runs selected and matching the filter. */
  runs: string[];
  hover: HoverSink;
  set(patch: Partial<UiState>): void;
  openLarge(view: LargeView): void;
  /**
   * Where a view registers its parts (series blocks, filmstrip frames): each
   * loads when it comes near the screen, the first screenful before the view
   * is shown.
   */
  lazy: Lazy;
  /** Tells the app that a series' steps arrived (the slider and the class options may grow). */
  loaded(): void;
  /** The width (px) the view's blocks are laid out in, for placeholders. */
  width: number;
}

/**
 * A view: the series whose steps its slider offers, and its content at one
 * step (null: each series' latest), built at once with placeholders that
 * `ctx.lazy` fills as they come near the screen.
 */
export interface ViewImpl {
  series(ctx: Ctx): Series[];
  render(ctx: Ctx, step: number | null): Promise<HTMLElement>;
}

/** Fetches all steps of several series at once (views that need every manifest, e.g. a shared scale). */
export async function loadSeries(ctx: Ctx, series: readonly Series[]): Promise<SeriesData[]> {
  const all = await Promise.all(series.map((s) => ctx.api.series(s.run, s.tag)));
  ctx.loaded();
  return all;
}

/**
 * Fetches the steps of one series, of the inputs under its maps and of the
 * target regions shown with them (together), and tells the app.
 */
export async function loadBlock(ctx: Ctx, s: Series): Promise<SeriesData> {
  for (const tag of [inputsOf(ctx, s), maskOf(ctx, s)]) if (tag) void ctx.api.series(s.run, tag).catch(() => undefined);
  const data = await ctx.api.series(s.run, s.tag);
  ctx.loaded();
  return data;
}

/** The inputs series under a series' maps, when the run has it. */
export function inputsOf(ctx: Ctx, s: Series): string | null {
  const tag = s.info.inputs_tag;
  return tag && ctx.tags.runs[s.run]?.[tag] ? tag : null;
}

/** The series of the target regions shown with a series' maps (segmentation), when shown and the run has it. */
function maskOf(ctx: Ctx, s: Series): string | null {
  const tag = s.info.mask_tag;
  return ctx.state.mask && tag && ctx.tags.runs[s.run]?.[tag] ? tag : null;
}

/** The layout of the rows of a series' step (see `layout.ts`). */
export function layoutAt(s: Series, entry: StepEntry): Layout {
  return seriesLayout(s.info, entry.manifest.shape);
}

/** The shared raw range over the items of `data` that `keep` accepts (every item without it). */
export function rangeOver(data: Iterable<SeriesData>, keep?: (it: ManifestItem) => boolean): RawRange | null {
  const ranges: RawRange[] = [];
  for (const d of data) for (const e of d.steps) for (const it of e.manifest.items) if (!keep || keep(it)) ranges.push(it);
  return sharedRange(ranges);
}

/** The look (colormap, opacity, scale) of a view; `shared` is the range when the scale is shared. */
export function lookFor(ctx: Ctx, signed: boolean, shared: RawRange | null): Look {
  return {
    table: lut(resolveColormap(ctx.state.colormap, signed)),
    opacity: ctx.state.opacity,
    scale: ctx.state.scale,
    shared: ctx.state.scale === 'shared' ? shared : null,
  };
}

/**
 * Decodes the heatmap of item `i` of `entry` and the input image under it.
 * Rejects when the map cannot be loaded; an input that cannot is left out
 * (`baseError` says why).
 */
export async function heatSource(ctx: Ctx, s: Series, entry: StepEntry, i: number): Promise<HeatSource> {
  const item = entry.manifest.items[i];
  // All loads start now and each has its handler at once: a rejection never goes unhandled.
  const heatP = ctx.images.gray(entry.images[i]);
  const baseP = inputImage(ctx, s, entry.step, item.sample).then(
    (bmp) => ({bmp, error: null}),
    (e: Error) => ({bmp: null, error: e.message}),
  );
  // A region that cannot be loaded is left out: the map still shows.
  const maskP = targetRegion(ctx, s, entry.step, item.sample).catch(() => null);
  const [heat, base, mask] = await Promise.all([heatP, baseP, maskP]);
  const shape = entry.manifest.shape;
  const src: HeatSource = {
    heat,
    item,
    base: base.bmp,
    signed: s.info.signed,
    sequence: shape.length === 1,
    depth: frameCount(shape, layoutAt(s, entry)),
    mask,
  };
  if (base.error) src.baseError = base.error;
  return src;
}

/**
 * The row of `sample` in the series `tag` of `run` at `step`, or the nearest
 * earlier step (inputs are often logged once); null if none.
 */
export async function rowAt(ctx: Ctx, run: string, tag: string, step: number, sample: number | undefined): Promise<{entry: StepEntry; index: number} | null> {
  const data = await ctx.api.series(run, tag);
  const at = entryAtOrBefore(data.steps, step);
  const k = at ? inputIndex(at.manifest.items, sample) : -1;
  return at && k >= 0 && at.images[k] ? {entry: at, index: k} : null;
}

/** The input image of `sample` at `step` (or the nearest earlier step) under a series' maps; null if none. */
async function inputImage(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<ImageBitmap | null> {
  const tag = inputsOf(ctx, s);
  const row = tag ? await rowAt(ctx, s.run, tag, step, sample) : null;
  return row ? ctx.images.bitmap(row.entry.images[row.index]) : null;
}

/** The region of the explained target of `sample` at `step` (gray bytes), when shown; null if none. */
async function targetRegion(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<Gray | null> {
  const tag = maskOf(ctx, s);
  const row = tag ? await rowAt(ctx, s.run, tag, step, sample) : null;
  return row ? ctx.images.gray(row.entry.images[row.index]) : null;
}

/**
 * Caption lines of an explanation item: sample, what is explained (class or
 * named target, with the score), label and verdict, and (unless `withRange`
 * is false) the raw range.
 */
export function captionLines(
  item: ManifestItem,
  predicted: Map<number, number>,
  targetName?: string,
  withRange = true,
): {lines: string[]; correct: boolean | null} {
  const lines: string[] = [];
  if (item.sample !== undefined) lines.push(`sample ${item.sample}`);
  const what = explainedName(item, targetName);
  if (what !== null) {
    lines.push(item.score !== undefined ? `${what} (${formatValue(Number(item.score))})` : what);
  }
  const correct = isCorrect(item, predicted);
  if (item.label !== undefined) {
    const ln = item.label_name ?? String(item.label);
    let verdict = correct === null ? '' : correct ? ' ✓' : ' ✗';
    if (correct === false && typeof item.predicted === 'number') verdict += ` (predicted ${item.predicted_name ?? item.predicted})`;
    lines.push(`label ${ln}${verdict}`);
  }
  if (withRange) lines.push(...rangeLines(item));
  return {lines, correct};
}

/** The caption lines of an item's raw range (and its non-finite values). */
export function rangeLines(item: ManifestItem): string[] {
  const lines = [`range [${formatValue(Number(item.min))}, ${formatValue(Number(item.max))}]`];
  if (item.nonfinite) lines.push(`${item.nonfinite} non-finite`);
  return lines;
}

/** A part of a view built at once and painted later (`done`), e.g. one map of a sample. */
export interface Part {
  el: HTMLElement;
  done: Promise<void>;
  /** Shows another frame of a volume (absent for other layouts). */
  setFrame?: (k: number) => void;
}

/**
 * A cell (`kind`-cell) for item `i` whose content `load` builds: a loading
 * slot until then, a note if it fails, `data-painted` once shown.
 */
export function loadingPart(kind: string, i: number, lines: string[], correct: boolean | null, load: () => Promise<HTMLElement>): Part {
  const slot = h('div', {className: `${kind} loading`});
  const el = h('figure', {className: `cell ${kind}-cell`, dataset: {item: String(i)}}, slot, caption(lines, correct));
  const done = load().then(
    (content) => {
      content.dataset.painted = 'true';
      slot.replaceWith(content);
    },
    (err: unknown) => {
      slot.replaceWith(note(`could not load: ${err instanceof Error ? err.message : String(err)}`, {broken: 'true'}));
    },
  );
  return {el, done};
}

/** A caption element from lines (all text); the line with the verdict mark is coloured by it. */
export function caption(lines: readonly string[], correct: boolean | null): HTMLElement {
  return h(
    'figcaption',
    {className: correct === null ? '' : correct ? 'correct' : 'incorrect'},
    ...lines.map((l) => h('div', {className: / [✓✗]/.test(l) ? 'verdict' : undefined}, l)),
  );
}

/** The block of one series: a head (run chip, label, step text) and, until it loads, `placeholder`. */
export function seriesSection(ctx: Ctx, s: Series, label: string, placeholder: HTMLElement): {block: HTMLElement; stepLabel: HTMLElement} {
  const stepLabel = h('span', {className: 'step-label'}, '');
  const head = h('div', {className: 'series-head'}, runChip(ctx, s.run), h('span', {className: 'tag'}, label), stepLabel);
  const block = h('section', {className: 'series', dataset: {run: s.run, tag: s.tag, loaded: 'false'}}, head, placeholder);
  return {block, stepLabel};
}

/** The height in px of `count` cells wrapped in rows `width` px wide. */
export function cellsHeight(count: number, width: number): number {
  const perRow = Math.max(1, Math.floor((width + GAP_PX) / (CELL_PX + GAP_PX)));
  const rows = Math.max(1, Math.ceil(count / perRow));
  return rows * (CELL_PX + CAPTION_PX) + (rows - 1) * GAP_PX;
}

/**
 * The stand-in for `count` cells of a block that has not loaded: one box as
 * large as the cells will be (so what is on screen is right before anything
 * is fetched), not an element per cell (a sweep has thousands).
 */
export function placeholderCells(ctx: Ctx, count: number | null): HTMLElement {
  const n = Math.max(1, count ?? 1);
  if (n === 1) return h('div', {className: 'cells placeholder small', attrs: {'aria-hidden': 'true'}});
  return h('div', {className: 'cells placeholder', attrs: {'aria-hidden': 'true'}, style: {height: `${cellsHeight(n, ctx.width)}px`}});
}

/** A visible note about data that could not be read (text only). */
export function note(text: string, dataset: Record<string, string> = {}): HTMLElement {
  return h('div', {className: 'note', attrs: {role: 'note'}, dataset}, text);
}

/** The note of a series' skipped steps; null when none. */
export function skippedStepsNote(skipped: readonly SkippedStep[]): HTMLElement | null {
  if (skipped.length === 0) return null;
  const shown = skipped.slice(0, 3).map((k) => `step ${k.step} (${k.reason})`);
  const more = skipped.length > 3 ? `, and ${skipped.length - 3} more` : '';
  const what = skipped.length === 1 ? '1 step' : `${skipped.length} steps`;
  return note(`${what} could not be read: ${shown.join('; ')}${more}`, {skipped: String(skipped.length)});
}

/** Marks a cell's canvas as not loadable, saying why (in its caption, on hover, to screen readers). */
export function markBroken(canvas: HTMLCanvasElement, title: string, err: unknown): void {
  const why = err instanceof Error ? err.message : String(err);
  canvas.classList.add('broken');
  canvas.dataset.broken = 'true';
  canvas.setAttribute('aria-label', `${title}: could not load (${why})`);
  canvas.title = `could not load: ${why}`;
  canvas.closest('figure')?.querySelector('figcaption')?.appendChild(h('div', {className: 'note'}, 'could not load'));
}

/** A series block's own failure (its steps could not be fetched): a note in place of its cells. */
export function blockFailed(block: HTMLElement, placeholder: HTMLElement, err: unknown): void {
  const why = err instanceof Error ? err.message : String(err);
  placeholder.replaceWith(note(`could not load this series: ${why}`, {failed: 'true'}));
  block.dataset.loaded = 'true';
}

/** A run header chip with the run colour. */
export function runChip(ctx: Ctx, run: string): HTMLElement {
  const color = runColor(run, ctx.allRuns);
  return h('span', {className: 'run-chip'}, h('span', {className: 'swatch', style: {background: color}}), run);
}

/** An empty-state message. */
export function empty(text: string): HTMLElement {
  return h('div', {className: 'empty', attrs: {role: 'status'}}, text);
}

/** A canvas showing a decoded image as-is (inputs, pipeline stages, filters). */
export function bitmapCanvas(bmp: ImageBitmap, label: string, onClick?: () => void): HTMLCanvasElement {
  const canvas = h('canvas', {className: 'heat plain', attrs: {role: 'img', 'aria-label': label, tabindex: onClick ? 0 : undefined}});
  canvas.width = bmp.width;
  canvas.height = bmp.height;
  canvas.getContext('2d')?.drawImage(bmp, 0, 0);
  if (onClick) {
    canvas.addEventListener('click', onClick);
    canvas.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        onClick();
      }
    });
  }
  return canvas;
}

/** A labelled select of probe samples bound to `state.sample`. */
export function sampleSelect(ctx: Ctx, samples: readonly number[], names?: Map<number, string>): HTMLElement {
  const current = samples.includes(ctx.state.sample) ? ctx.state.sample : samples[0] ?? 0;
  return select(
    'Sample',
    samples.map((s) => ({value: String(s), text: names?.get(s) ? `sample ${s} (${names.get(s)})` : `sample ${s}`})),
    String(current),
    (v) => ctx.set({sample: Number(v)}),
    'sample-select',
  );
}

/** The effective sample: the selected one if present, else the first. */
export function effectiveSample(ctx: Ctx, samples: readonly number[]): number {
  return samples.includes(ctx.state.sample) ? ctx.state.sample : samples[0] ?? 0;
}

/** A labelled select of tags of one kind bound to a state key. */
export function tagSelect(
  label: string,
  tags: readonly {tag: string; text: string}[],
  value: string,
  onChange: (tag: string) => void,
  id: string,
): HTMLElement {
  return select(label, tags.map((t) => ({value: t.tag, text: t.text})), value, onChange, id);
}

/**
 * A colour bar of the current look: the LUT from low to high, with the raw
 * range when the scale is shared (per map, each caption has its own range).
 */
export function legend(look: Look, signed: boolean): HTMLElement {
  const bar = h('canvas', {attrs: {width: 256, height: 1, 'aria-hidden': 'true'}});
  const c2d = bar.getContext('2d');
  if (c2d) {
    const img = c2d.createImageData(256, 1);
    for (let i = 0; i < 256; i++) {
      img.data.set([look.table[i * 3], look.table[i * 3 + 1], look.table[i * 3 + 2], 255], i * 4);
    }
    c2d.putImageData(img, 0, 0);
  }
  let lo = 'min';
  let hi = 'max';
  let note = signed ? 'per map, symmetric around 0' : 'per map (own min / max)';
  if (look.scale === 'shared' && look.shared) {
    const r = signed ? symmetric(look.shared) : look.shared;
    lo = formatValue(r.min);
    hi = formatValue(r.max);
    note = 'shared across steps and runs';
  }
  return h('div', {className: 'legend', attrs: {id: 'legend', role: 'note'}}, h('span', {}, lo), bar, h('span', {}, hi), h('span', {}, `· ${note}`));
}
