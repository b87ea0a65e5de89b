/**
 * Pure logic of the per-token and per-feature views: token colours, features
 * sorted by |attribution|, mean |attribution| over the probe, and the pixels
 * of a (rows x steps) heatmap. No DOM here, so everything is unit-tested.
 */
import {byteToIndex, RawRange, rawValue} from './scale';

/** The colour of LUT entry `index` as [r, g, b]. */
function rgbAt(table: Uint8Array, index: number): [number, number, number] {
  return [table[index * 3], table[index * 3 + 1], table[index * 3 + 2]];
}

/** Whether dark text reads better than light text on an RGB background (WCAG relative luminance). */
export function darkTextOn(rgb: readonly number[]): boolean {
  const lin = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  // Contrast with black (lum + 0.05) / 0.05 against white 1.05 / (lum + 0.05).
  return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05);
}

/** The LUT index of raw value `v` under `display` (clamped); the middle (signed) or 0 for a degenerate range. */
export function valueIndex(v: number, display: RawRange, signed: boolean): number {
  const span = display.max - display.min;
  if (!(span > 0) || !Number.isFinite(span)) return signed ? 128 : 0;
  const t = Math.min(1, Math.max(0, (v - display.min) / span));
  return Math.round(t * 255);
}

export interface TokenCell {
  /** Position of the token in the sequence. */
  index: number;
  text: string;
  /** Raw attribution of the token. */
  value: number;
  rgb: [number, number, number];
  /** Whether the token's text is drawn dark (on a light colour). */
  dark: boolean;
}

/**
 * The tokens of one sample, each coloured by its attribution.
 *
 * Args:
 *   heat: the map's bytes, one per token.
 *   item: the map's raw range (manifest `min`/`max`).
 *   display: the display range (the map's own or a shared one; symmetric if signed).
 *   signed: whether the series is signed.
 *   table: the 256-entry RGB LUT.
 *   tokens: the token texts (the inputs' `tokens` column); null: `#t`.
 *   present: the inputs row's bytes (0 for padding, which is left out); null: all present.
 */
export function tokenCells(
  heat: Uint8Array,
  item: RawRange,
  display: RawRange,
  signed: boolean,
  table: Uint8Array,
  tokens: readonly string[] | null,
  present: Uint8Array | null,
): TokenCell[] {
  const remap = byteToIndex(item, display, signed);
  const out: TokenCell[] = [];
  for (let t = 0; t < heat.length; t++) {
    if (present && present[t] === 0) continue;
    const rgb = rgbAt(table, remap[heat[t]]);
    out.push({index: t, text: tokens?.[t] ?? `#${t}`, value: rawValue(heat[t], item), rgb, dark: darkTextOn(rgb)});
  }
  return out;
}

export interface FeatureBar {
  /** Position of the feature in the input. */
  index: number;
  name: string;
  /** Raw attribution of the feature. */
  value: number;
  /** The feature's raw input value, when known. */
  input: number | null;
}

/**
 * The features of one sample sorted by |attribution|, largest first (ties in
 * input order).
 *
 * Args:
 *   values: the raw attribution of each feature.
 *   names: the feature names (missing ones are `feature i`).
 *   inputs: each feature's raw input value, or null.
 */
export function sortedFeatures(values: ArrayLike<number>, names: readonly string[], inputs: ArrayLike<number> | null): FeatureBar[] {
  const bars = Array.from({length: values.length}, (_, i) => ({
    index: i,
    name: names[i] || `feature ${i}`,
    value: values[i],
    input: inputs && i < inputs.length ? inputs[i] : null,
  }));
  return bars.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.index - b.index);
}

/** The length of a bar of raw value `v` as a fraction of the largest magnitude of `display` (0 to 1). */
export function barFraction(v: number, display: RawRange): number {
  const m = Math.max(Math.abs(display.min), Math.abs(display.max));
  if (!(m > 0) || !Number.isFinite(v)) return 0;
  return Math.min(1, Math.abs(v) / m);
}

/**
 * The mean |value| of each column over rows of equal length (e.g. each
 * feature's mean |attribution| over the probe samples); empty without rows.
 * Non-finite values are left out of their column's mean (NaN if none is left).
 */
export function meanAbsolute(rows: readonly ArrayLike<number>[]): Float64Array {
  const width = rows.length ? rows[0].length : 0;
  const sum = new Float64Array(width);
  const count = new Float64Array(width);
  for (const r of rows) {
    for (let j = 0; j < width && j < r.length; j++) {
      const v = r[j];
      if (!Number.isFinite(v)) continue;
      sum[j] += Math.abs(v);
      count[j] += 1;
    }
  }
  return sum.map((s, j) => (count[j] > 0 ? s / count[j] : NaN));
}

/**
 * A heatmap of `rows` x `cols` values (row-major; NaN for a missing cell)
 * with one row per token or feature and one column per step.
 */
export interface Matrix {
  rows: string[];
  cols: number[];
  values: Float64Array;
}

/** The raw range of the finite values of column `c` of a matrix (null if none). */
export function columnRange(m: Matrix, c: number): RawRange | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < m.rows.length; r++) {
    const v = m.values[r * m.cols.length + c];
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo <= hi ? {min: lo, max: hi} : null;
}

/**
 * RGBA pixels of a matrix, one pixel per cell (cols wide, rows high): each
 * value's colour under its column's display range `rangeOf(c)` (a column's
 * own range or one shared range), missing cells transparent.
 */
export function matrixPixels(m: Matrix, rangeOf: (col: number) => RawRange | null, signed: boolean, table: Uint8Array): Uint8ClampedArray {
  const w = m.cols.length;
  const out = new Uint8ClampedArray(w * m.rows.length * 4);
  for (let c = 0; c < w; c++) {
    const range = rangeOf(c);
    for (let r = 0; r < m.rows.length; r++) {
      const v = m.values[r * w + c];
      if (!Number.isFinite(v) || !range) continue;
      const o = (r * w + c) * 4;
      out.set(rgbAt(table, valueIndex(v, range, signed)), o);
      out[o + 3] = 255;
    }
  }
  return out;
}
