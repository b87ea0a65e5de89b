/**
 * Scaling of 8-bit heatmap PNGs back to raw values, and onto a display range.
 *
 * Each PNG byte p of an item encodes raw = min + p / 255 * (max - min), where
 * min and max are the item's raw range from the manifest. The display range is
 * either the item's own range ("map") or one range shared by every map of the
 * current selection across steps and runs ("shared"), so that magnitudes can be
 * compared honestly over epochs. Signed maps use a range symmetric around 0 so
 * that 0 is the middle (white) of a diverging colormap.
 */

export type ScaleMode = 'map' | 'shared';

export interface RawRange {
  min: number;
  max: number;
}

/** Raw value of PNG byte `p` for an item with raw range `range`. */
export function rawValue(p: number, range: RawRange): number {
  return range.min + (p / 255) * (range.max - range.min);
}

/** The min of mins and max of maxes over `ranges`, ignoring non-finite ends; null if none. */
export function sharedRange(ranges: Iterable<RawRange>): RawRange | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of ranges) {
    const a = Number(r.min);
    const b = Number(r.max);
    if (Number.isFinite(a) && a < lo) lo = a;
    if (Number.isFinite(b) && b > hi) hi = b;
  }
  if (lo > hi) return null;
  return {min: lo, max: hi};
}

/** A range symmetric around 0 that contains `range`. */
export function symmetric(range: RawRange): RawRange {
  const m = Math.max(Math.abs(range.min), Math.abs(range.max));
  return {min: -m, max: m};
}

/**
 * The display range of one item.
 *
 * Args:
 *   item: the item's raw range.
 *   mode: "map" (own range) or "shared".
 *   shared: the shared range of the selection (used when mode is "shared").
 *   signed: whether the series is signed (then the range is symmetric).
 */
export function displayRange(
  item: RawRange,
  mode: ScaleMode,
  shared: RawRange | null,
  signed: boolean,
): RawRange {
  const base = mode === 'shared' && shared ? shared : {min: Number(item.min), max: Number(item.max)};
  return signed ? symmetric(base) : base;
}

/**
 * A 256-entry table mapping each PNG byte of an item to a LUT index under
 * the display range `display`. Values outside the display range are clamped.
 * A degenerate display range maps everything to the middle (signed) or to 0.
 */
export function byteToIndex(item: RawRange, display: RawRange, signed: boolean): Uint8Array {
  const out = new Uint8Array(256);
  const span = display.max - display.min;
  const itemMin = Number(item.min);
  const itemSpan = Number(item.max) - itemMin;
  for (let p = 0; p < 256; p++) {
    let t: number;
    if (!(span > 0) || !Number.isFinite(span)) {
      t = signed ? 0.5 : 0;
    } else {
      const raw = itemMin + (p / 255) * (Number.isFinite(itemSpan) ? itemSpan : 0);
      t = (raw - display.min) / span;
    }
    t = Math.min(1, Math.max(0, t));
    out[p] = Math.round(t * 255);
  }
  return out;
}

/**
 * Colours gray bytes through `remap` and `lut` and blends them over `base`
 * (RGBA, same pixel count) with `opacity`, writing RGBA into `out`.
 * When `base` is null the colours are blended over black.
 */
export function colorize(
  gray: Uint8Array,
  remap: Uint8Array,
  table: Uint8Array,
  opacity: number,
  base: Uint8ClampedArray | null,
  out: Uint8ClampedArray,
): void {
  const a = Math.min(1, Math.max(0, opacity));
  const b = 1 - a;
  const n = gray.length;
  for (let i = 0; i < n; i++) {
    const li = remap[gray[i]] * 3;
    const o = i * 4;
    if (base) {
      out[o] = base[o] * b + table[li] * a;
      out[o + 1] = base[o + 1] * b + table[li + 1] * a;
      out[o + 2] = base[o + 2] * b + table[li + 2] * a;
    } else {
      out[o] = table[li] * a;
      out[o + 1] = table[li + 1] * a;
      out[o + 2] = table[li + 2] * a;
    }
    out[o + 3] = 255;
  }
}

/** Formats a raw value compactly for captions and the hover readout, to `digits` significant digits. */
export function formatValue(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return v.toPrecision(digits);
}
