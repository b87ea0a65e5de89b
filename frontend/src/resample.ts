/**
 * Bilinear resampling of heatmap gray bytes, as `tf.image.resize(..., "bilinear")`
 * (antialias off): half-pixel centres, edges clamped. No DOM here.
 *
 * CAM-family maps are logged at the resolution of the explained layer (e.g.
 * 16x16 under a 64x64 input); the UI upsamples them to the input image's size
 * so that they are painted over the input at its own resolution, the way
 * `Method.explain` upsamples them. The bytes are a linear quantisation of the
 * raw values of one map (raw = min + p / 255 * (max - min)), so interpolating
 * bytes interpolates raw values (up to the final rounding to a byte).
 */
import type {Gray} from './images';

interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  t: Float64Array;
}

/**
 * For each output index along one axis: the two source indices and the weight
 * of the upper one. Source coordinate = (i + 0.5) * in / out - 0.5, clamped to
 * [0, in - 1].
 */
function taps(inSize: number, outSize: number): Taps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const s = Math.min(inSize - 1, Math.max(0, (i + 0.5) * scale - 0.5));
    const l = Math.floor(s);
    lo[i] = l;
    hi[i] = Math.min(l + 1, inSize - 1);
    t[i] = s - l;
  }
  return {lo, hi, t};
}

/**
 * `g` resized bilinearly to `width` x `height` (half-pixel centres, as
 * `tf.image.resize(..., "bilinear", antialias=False)`), rounded to the nearest byte.
 *
 * Args:
 *   g: the map's gray bytes, row-major.
 *   width: output width (a positive integer).
 *   height: output height (a positive integer).
 *
 * Returns:
 *   A new Gray of the requested size (`g` itself when the size is unchanged).
 */
export function upsampleGray(g: Gray, width: number, height: number): Gray {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`upsampleGray needs a positive integer size. Received: width=${width}, height=${height}`);
  }
  if (!(g.width > 0 && g.height > 0) || g.data.length !== g.width * g.height) {
    throw new RangeError(`upsampleGray needs a non-empty map with width * height bytes. Received: width=${g.width}, height=${g.height}, bytes=${g.data.length}`);
  }
  if (width === g.width && height === g.height) return g;
  const xs = taps(g.width, width);
  const ys = taps(g.height, height);
  const src = g.data;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const top = ys.lo[y] * g.width;
    const bottom = ys.hi[y] * g.width;
    const ty = ys.t[y];
    for (let x = 0; x < width; x++) {
      const l = xs.lo[x];
      const r = xs.hi[x];
      const tx = xs.t[x];
      const a = src[top + l] + (src[top + r] - src[top + l]) * tx;
      const b = src[bottom + l] + (src[bottom + r] - src[bottom + l]) * tx;
      out[y * width + x] = Math.round(a + (b - a) * ty);
    }
  }
  return {width, height, data: out};
}

const resized = new WeakMap<Gray, Map<string, Gray>>();

/** `upsampleGray(g, width, height)`, computed once per (map, size). */
export function cachedUpsample(g: Gray, width: number, height: number): Gray {
  if (width === g.width && height === g.height) return g;
  let bySize = resized.get(g);
  if (!bySize) {
    bySize = new Map();
    resized.set(g, bySize);
  }
  const key = `${width}x${height}`;
  let out = bySize.get(key);
  if (!out) {
    out = upsampleGray(g, width, height);
    bySize.set(key, out);
  }
  return out;
}
