/** What every view gets from the app, and helpers shared by the views. */
import type {Api, ManifestItem, StepEntry, TagsResponse} from '../api';
import {lut, resolveColormap} from '../colormap';
import {h, select} from '../dom';
import type {ImageCache} from '../images';
import {entryAtOrBefore, inputIndex, isCorrect, runColor, Series} from '../model';
import {formatValue, RawRange, sharedRange, symmetric} from '../scale';
import type {UiState} from '../state';
import type {HeatSource, HoverSink, Look} from './cell';

export interface LargeView {
  title: string;
  lines: string[];
  src?: HeatSource;
  look?: Look;
  bitmap?: ImageBitmap;
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
   * How many cells (in display order) a view should have painted before it is
   * shown: about a screenful. The rest paint as their blobs arrive; a view puts
   * their promises in `pending` (the app marks the view complete after them).
   */
  eager: number;
  pending: Promise<unknown>[];
}

/** A view: the steps its slider offers, and its content at one step. */
export interface ViewImpl {
  steps(ctx: Ctx): Promise<number[]>;
  render(ctx: Ctx, step: number | null): Promise<HTMLElement>;
}

/** Fetches all steps of several series at once. */
export async function loadSeries(ctx: Ctx, series: readonly Series[]): Promise<StepEntry[][]> {
  return Promise.all(series.map((s) => ctx.api.series(s.run, s.tag)));
}

/** The look (colormap, opacity, scale) for a series, with the shared range over `entries`. */
export function lookFor(ctx: Ctx, signed: boolean, entries: Iterable<StepEntry>, keep?: (it: ManifestItem) => boolean): Look {
  const ranges: RawRange[] = [];
  if (ctx.state.scale === 'shared') {
    for (const e of entries) for (const it of e.manifest.items) if (!keep || keep(it)) ranges.push(it);
  }
  return {
    table: lut(resolveColormap(ctx.state.colormap, signed)),
    opacity: ctx.state.opacity,
    scale: ctx.state.scale,
    shared: sharedRange(ranges),
  };
}

/** Decodes the heatmap of item `i` of `entry` and the input image under it. */
export async function heatSource(ctx: Ctx, s: Series, entry: StepEntry, i: number): Promise<HeatSource> {
  const item = entry.manifest.items[i];
  const heatP = ctx.images.gray(entry.images[i]);
  let base: ImageBitmap | null = null;
  const inputsTag = s.info.inputs_tag;
  if (inputsTag && ctx.tags.runs[s.run]?.[inputsTag]) {
    try {
      const inputs = await ctx.api.series(s.run, inputsTag);
      const at = entryAtOrBefore(inputs, entry.step);
      const k = at ? inputIndex(at.manifest.items, item.sample) : -1;
      if (at && k >= 0 && at.images[k]) base = await ctx.images.bitmap(at.images[k]);
    } catch {
      base = null;
    }
  }
  return {heat: await heatP, item, base, signed: s.info.signed, sequence: entry.manifest.shape.length === 1};
}

/** Caption lines of an explanation item: sample, class explained (score), label and verdict. */
export function captionLines(item: ManifestItem, predicted: Map<number, number>): {lines: string[]; correct: boolean | null} {
  const lines: string[] = [];
  if (item.sample !== undefined) lines.push(`sample ${item.sample}`);
  if (item.class_id !== undefined) {
    const name = item.class_name ?? String(item.class_id);
    lines.push(item.score !== undefined ? `${name} (${formatValue(Number(item.score))})` : name);
  }
  const correct = isCorrect(item, predicted);
  if (item.label !== undefined) {
    const ln = item.label_name ?? String(item.label);
    lines.push(`label ${ln}${correct === null ? '' : correct ? ' ✓' : ' ✗'}`);
  }
  lines.push(`range [${formatValue(Number(item.min))}, ${formatValue(Number(item.max))}]`);
  if (item.nonfinite) lines.push(`${item.nonfinite} non-finite`);
  return {lines, correct};
}

/** A caption element from lines (all text). */
export function caption(lines: readonly string[], correct: boolean | null): HTMLElement {
  return h(
    'figcaption',
    {className: correct === null ? '' : correct ? 'correct' : 'incorrect'},
    ...lines.map((l) => h('div', {}, l)),
  );
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
