/**
 * A segmentation target's region shown with the map that explains it: the
 * pixels outside the region dimmed. No DOM here.
 *
 * The region is the `mask_tag` inputs series of the map's run: per sample a
 * one-channel image, 255 inside the region and 0 outside.
 */
import type {Gray} from './images';

/** How much of a pixel's colour is kept outside the region. */
export const OUTSIDE_KEEP = 0.35;

const sampled = new WeakMap<Gray, Map<string, Uint8Array>>();

/**
 * The region of `mask` at `width` x `height` (nearest pixel): 1 inside
 * (a byte above 127), 0 outside; cached per mask and size.
 */
export function regionAt(mask: Gray, width: number, height: number): Uint8Array {
  let bySize = sampled.get(mask);
  if (!bySize) {
    bySize = new Map();
    sampled.set(mask, bySize);
  }
  const key = `${width}x${height}`;
  let out = bySize.get(key);
  if (!out) {
    out = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
      for (let x = 0; x < width; x++) {
        const sx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
        out[y * width + x] = mask.data[sy * mask.width + sx] > 127 ? 1 : 0;
      }
    }
    bySize.set(key, out);
  }
  return out;
}

/**
 * Shows `region` on painted RGBA pixels `rgba` (in place): outside it the
 * colour is scaled by `OUTSIDE_KEEP`, inside it is left as painted (so no map
 * value is hidden). An empty region dims everything.
 */
export function applyRegion(rgba: Uint8ClampedArray, region: Uint8Array): void {
  for (let i = 0; i < region.length; i++) {
    if (region[i]) continue;
    const o = i * 4;
    rgba[o] *= OUTSIDE_KEEP;
    rgba[o + 1] *= OUTSIDE_KEEP;
    rgba[o + 2] *= OUTSIDE_KEEP;
  }
}
