/**
 * The frames of a row's tile: a tile of several frames (slices, the frames
 * of a clip) stacks them top to bottom, as `/steps` `tile.frames` says. Row views of the decoded bytes, no copies; no DOM.
 */
import type {Gray} from './images';

/** Frame index `k` clamped to [0, frames). */
export function clampFrame(k: number, frames: number): number {
  return Math.min(Math.max(1, Math.floor(frames)) - 1, Math.max(0, Math.floor(k) || 0));
}

/** Frame `k` (clamped) as a row range of a tile `tileHeight` rows high holding `frames` frames. */
export function frameRows(tileHeight: number, frames: number, k: number): {top: number; height: number} {
  const height = Math.floor(tileHeight / Math.max(1, Math.floor(frames)));
  return {top: clampFrame(k, frames) * height, height};
}

const cuts = new WeakMap<Gray, Gray[]>();

/**
 * Frame `k` of a tile holding `frames` frames stacked top to bottom: a view
 * of its rows (no copy), the same object for the same tile and frame (so
 * caches keyed on it, such as resampled maps, are reused). A tile of one
 * frame is returned as is.
 *
 * Raises:
 *   RangeError: the tile's height is not a multiple of `frames`.
 */
export function tileFrame(g: Gray, frames: number, k: number): Gray {
  if (frames <= 1) return g;
  if (!Number.isInteger(frames) || g.height % frames !== 0) {
    throw new RangeError(`a tile must hold whole frames. Received: height=${g.height}, frames=${frames}`);
  }
  let cut = cuts.get(g);
  if (!cut || cut.length !== frames) {
    const h = g.height / frames;
    cut = Array.from({length: frames}, (_, i) => ({width: g.width, height: h, data: g.data.subarray(i * h * g.width, (i + 1) * h * g.width)}));
    cuts.set(g, cut);
  }
  return cut[clampFrame(k, frames)];
}
