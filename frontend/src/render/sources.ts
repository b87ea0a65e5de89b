/**
 * Where the views' data comes from: a series' steps, the inputs under its
 * maps and the target regions shown with them (their rows at a step), and
 * a heatmap decoded with its input and region.
 */
import type {ManifestItem, SeriesData, StepEntry} from '../api';
import type {Gray} from '../images';
import {entryAtOrBefore, inputIndex, Series} from '../model';
import {RawRange, sharedRange} from '../scale';
import type {HeatSource} from './cell';
import type {Ctx} from './view';

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

/** The shared raw range over the items of `data` that `keep` accepts (every item without it). */
export function rangeOver(data: Iterable<SeriesData>, keep?: (it: ManifestItem) => boolean): RawRange | null {
  const ranges: RawRange[] = [];
  for (const d of data) for (const e of d.steps) for (const it of e.manifest.items) if (!keep || keep(it)) ranges.push(it);
  return sharedRange(ranges);
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

/** The inputs row of `sample` under a series' maps at `step` (or the nearest earlier step); null if none. */
export async function inputRow(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<{entry: StepEntry; index: number} | null> {
  const tag = inputsOf(ctx, s);
  return tag ? rowAt(ctx, s.run, tag, step, sample) : null;
}

/** The input image of `sample` at `step` (or the nearest earlier step) under a series' maps; null if none. */
async function inputImage(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<ImageBitmap | null> {
  const row = await inputRow(ctx, s, step, sample);
  return row ? ctx.images.bitmap(row.entry.images[row.index]) : null;
}

/** The region of the explained target of `sample` at `step` (gray bytes), when shown; null if none. */
async function targetRegion(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<Gray | null> {
  const tag = maskOf(ctx, s);
  const row = tag ? await rowAt(ctx, s.run, tag, step, sample) : null;
  return row ? ctx.images.gray(row.entry.images[row.index]) : null;
}

/**
 * Decodes the heatmap of item `i` of `entry` and the input image under it
 * (`stretch`: a one-row map drawn over each of its input's channel rows).
 * Rejects when the map cannot be loaded; an input that cannot is left out
 * (`baseError` says why).
 */
export async function heatSource(ctx: Ctx, s: Series, entry: StepEntry, i: number, stretch = false): Promise<HeatSource> {
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
  const src: HeatSource = {heat, item, base: base.bmp, signed: s.info.signed, stretch, depth: entry.tile.frames, shape: entry.manifest.shape, mask};
  if (base.error) src.baseError = base.error;
  return src;
}
