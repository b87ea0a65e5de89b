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

// Equally spaced control points (11 samples of each published map), components in [0, 1].
const CONTROL: Record<ColormapName, readonly Rgb[]> = {
  viridis: [
    [0.266667, 0.003922, 0.329412],
    [0.282353, 0.145098, 0.462745],
    [0.254902, 0.266667, 0.529412],
    [0.207843, 0.372549, 0.552941],
    [0.164706, 0.470588, 0.556863],
    [0.129412, 0.568627, 0.549020],
    [0.133333, 0.658824, 0.517647],
    [0.266667, 0.749020, 0.439216],
    [0.478431, 0.819608, 0.317647],
    [0.741176, 0.874510, 0.149020],
    [0.992157, 0.905882, 0.145098],
  ],
  magma: [
    [0.000000, 0.000000, 0.015686],
    [0.078431, 0.054902, 0.211765],
    [0.231373, 0.058824, 0.439216],
    [0.392157, 0.101961, 0.501961],
    [0.549020, 0.160784, 0.505882],
    [0.717647, 0.215686, 0.474510],
    [0.870588, 0.286275, 0.407843],
    [0.968627, 0.439216, 0.360784],
    [0.996078, 0.623529, 0.427451],
    [0.996078, 0.811765, 0.572549],
    [0.988235, 0.992157, 0.749020],
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
