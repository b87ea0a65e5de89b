/**
 * Colormaps as 256-entry RGB lookup tables, built from a few control points.
 *
 * The control points are sampled from the published definitions (viridis and
 * magma by van der Walt & Smith; a blue-white-red diverging map in the style of
 * ColorBrewer RdBu) and interpolated linearly in sRGB; the tables are our own.
 */

/** A colormap name the UI offers. */
export type ColormapName = 'viridis' | 'magma' | 'gray' | 'bwr';

/** `auto` picks `viridis` for unsigned maps and `bwr` for signed maps. */
export type ColormapChoice = ColormapName | 'auto';

export interface ColormapInfo {
  name: ColormapName;
  label: string;
  diverging: boolean;
}

export const COLORMAPS: readonly ColormapInfo[] = [
  {name: 'viridis', label: 'viridis (sequential)', diverging: false},
  {name: 'magma', label: 'magma (sequential)', diverging: false},
  {name: 'gray', label: 'gray (sequential)', diverging: false},
  {name: 'bwr', label: 'blue-white-red (diverging)', diverging: true},
];

type Rgb = readonly [number, number, number];

// Equally spaced control points in [0, 1], components in [0, 1].
const CONTROL: Record<ColormapName, readonly Rgb[]> = {
  viridis: [
    [0.267004, 0.004874, 0.329415],
    [0.282623, 0.140926, 0.457517],
    [0.253935, 0.265254, 0.529983],
    [0.206756, 0.371758, 0.553117],
    [0.163625, 0.471133, 0.558148],
    [0.127568, 0.566949, 0.550556],
    [0.134692, 0.658636, 0.517649],
    [0.266941, 0.748751, 0.440573],
    [0.477504, 0.821444, 0.318195],
    [0.741388, 0.873449, 0.149561],
    [0.993248, 0.906157, 0.143936],
  ],
  magma: [
    [0.001462, 0.000466, 0.013866],
    [0.078815, 0.054184, 0.211667],
    [0.232077, 0.059889, 0.437695],
    [0.390384, 0.100379, 0.501864],
    [0.550287, 0.161158, 0.505719],
    [0.716387, 0.214982, 0.47529],
    [0.868793, 0.287728, 0.409303],
    [0.967671, 0.439703, 0.35981],
    [0.994738, 0.62435, 0.427397],
    [0.99568, 0.812706, 0.572645],
    [0.987053, 0.991438, 0.749504],
  ],
  gray: [
    [0, 0, 0],
    [1, 1, 1],
  ],
  bwr: [
    [0.019608, 0.188235, 0.380392],
    [0.129412, 0.4, 0.67451],
    [0.262745, 0.576471, 0.764706],
    [0.572549, 0.772549, 0.870588],
    [0.819608, 0.898039, 0.941176],
    [0.968627, 0.968627, 0.968627],
    [0.992157, 0.858824, 0.780392],
    [0.956863, 0.647059, 0.509804],
    [0.839216, 0.376471, 0.301961],
    [0.698039, 0.094118, 0.168627],
    [0.403922, 0.0, 0.121569],
  ],
};

const cache = new Map<ColormapName, Uint8Array>();

/** Whether `name` is a known colormap. */
export function isColormapName(name: string): name is ColormapName {
  return Object.prototype.hasOwnProperty.call(CONTROL, name);
}

/** Resolves `auto` to a concrete map for a series of the given signedness. */
export function resolveColormap(choice: ColormapChoice, signed: boolean): ColormapName {
  if (choice === 'auto') return signed ? 'bwr' : 'viridis';
  return choice;
}

/**
 * Returns the 256-entry lookup table of a colormap as packed RGB bytes
 * (length 768). Tables are built once and shared; do not mutate them.
 */
export function lut(name: ColormapName): Uint8Array {
  const hit = cache.get(name);
  if (hit) return hit;
  const points = CONTROL[name];
  if (!points) throw new Error(`Unknown colormap. Received: name=${JSON.stringify(name)}`);
  const table = new Uint8Array(256 * 3);
  const segments = points.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * segments;
    const k = Math.min(Math.floor(t), segments - 1);
    const f = t - k;
    const a = points[k];
    const b = points[k + 1];
    for (let c = 0; c < 3; c++) {
      table[i * 3 + c] = Math.round((a[c] + (b[c] - a[c]) * f) * 255);
    }
  }
  cache.set(name, table);
  return table;
}

/** The colour of LUT entry `index` as a CSS `rgb()` string (legends). */
export function cssColor(table: Uint8Array, index: number): string {
  const i = Math.max(0, Math.min(255, Math.round(index))) * 3;
  return `rgb(${table[i]}, ${table[i + 1]}, ${table[i + 2]})`;
}
