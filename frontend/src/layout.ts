/**
 * How a series' rows are laid out in its PNG strips (format version 4): the
 * size of one row's tile, and the frames (slices) of a volume's tile. No DOM.
 *
 * Mirrors `tbexplain_plugin/metadata.py` (`tile_height`, `layout_of`):
 * images [H, W(, C)] are H rows of W; maps of sequences, tokens and features
 * [T] one row of T; sequence inputs [T, C] C rows of T (channel c in pixel
 * row c); volume maps [D, H, W] and inputs [D, H, W, C] their D slices
 * stacked top to bottom, D * H rows of W.
 */
import type {Gray} from './images';

export type Layout = 'image' | 'sequence' | 'tokens' | 'features' | 'volume';

export const LAYOUTS: readonly Layout[] = Object.freeze(['image', 'sequence', 'tokens', 'features', 'volume']);

function isLayout(v: string): v is Layout {
  return (LAYOUTS as readonly string[]).includes(v);
}

/**
 * A series' layout: as its metadata records it (format version 4), else as
 * an older series' shape implies: one number ([T]) a sequence, anything else
 * (or no shape yet) an image.
 */
export function seriesLayout(info: {layout?: string}, shape?: readonly number[]): Layout {
  const recorded = info.layout ?? '';
  if (isLayout(recorded)) return recorded;
  return shape && shape.length === 1 ? 'sequence' : 'image';
}

/**
 * The width and height in pixels of one row's tile for a manifest `shape`
 * and the series' `layout` (0 where the shape does not tell).
 */
export function tileSize(shape: readonly number[], layout: string): {width: number; height: number} {
  const n = (i: number) => shape[i] ?? 0;
  if (shape.length === 1) return {width: n(0), height: 1};
  if (layout === 'sequence') return {width: n(0), height: n(1)};
  if (layout === 'volume') return {width: n(2), height: n(0) * n(1)};
  return {width: n(1), height: n(0)};
}

/** How many frames (slices) a row of `shape` holds: D for a volume, else 1. */
export function frameCount(shape: readonly number[], layout: string): number {
  return layout === 'volume' && shape.length >= 3 && shape[0] > 0 ? shape[0] : 1;
}

/** Frame index `k` clamped to [0, depth). */
export function clampFrame(k: number, depth: number): number {
  return Math.min(Math.max(1, Math.floor(depth)) - 1, Math.max(0, Math.floor(k) || 0));
}

/** Frame `k` (clamped) as a row range of a tile `tileHeight` rows high holding `depth` frames. */
export function frameRows(tileHeight: number, depth: number, k: number): {top: number; height: number} {
  const height = Math.floor(tileHeight / Math.max(1, Math.floor(depth)));
  return {top: clampFrame(k, depth) * height, height};
}

const frames = new WeakMap<Gray, Gray[]>();

/**
 * Frame `k` of a volume tile holding `depth` frames stacked top to bottom: a
 * view of its rows (no copy), the same object for the same tile and frame
 * (so caches keyed on it, such as resampled maps, are reused). A tile of one
 * frame is returned as is.
 *
 * Raises:
 *   RangeError: the tile's height is not a multiple of `depth`.
 */
export function volumeFrame(g: Gray, depth: number, k: number): Gray {
  if (depth <= 1) return g;
  if (!Number.isInteger(depth) || g.height % depth !== 0) {
    throw new RangeError(`a volume tile must hold whole frames. Received: height=${g.height}, depth=${depth}`);
  }
  let cut = frames.get(g);
  if (!cut || cut.length !== depth) {
    const h = g.height / depth;
    cut = Array.from({length: depth}, (_, i) => ({width: g.width, height: h, data: g.data.subarray(i * h * g.width, (i + 1) * h * g.width)}));
    frames.set(g, cut);
  }
  return cut[clampFrame(k, depth)];
}
