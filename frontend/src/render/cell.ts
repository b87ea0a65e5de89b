/** One heatmap over its input image, drawn on a canvas, with a raw-value hover. */
import type {ManifestItem} from '../api';
import {h} from '../dom';
import {bitmapPixels, Gray} from '../images';
import {cachedUpsample} from '../resample';
import {byteToIndex, colorize, displayRange, formatValue, RawRange, rawValue, ScaleMode} from '../scale';

export interface HeatSource {
  heat: Gray;
  item: ManifestItem;
  /** The input image under the map, if any. */
  base: ImageBitmap | null;
  /** Why the input image under the map could not be loaded, if it could not. */
  baseError?: string;
  signed: boolean;
  /** Whether the map is a sequence ([T], drawn as one row): never resampled. */
  sequence: boolean;
}

export interface Look {
  table: Uint8Array;
  opacity: number;
  scale: ScaleMode;
  /** Shared raw range of the selection (used when scale is "shared"). */
  shared: RawRange | null;
}

const basePixels = new WeakMap<ImageBitmap, Map<string, Uint8ClampedArray>>();

function cachedBase(bmp: ImageBitmap, w: number, hgt: number): Uint8ClampedArray {
  let bySize = basePixels.get(bmp);
  if (!bySize) {
    bySize = new Map();
    basePixels.set(bmp, bySize);
  }
  const key = `${w}x${hgt}`;
  let px = bySize.get(key);
  if (!px) {
    px = bitmapPixels(bmp, w, hgt);
    bySize.set(key, px);
  }
  return px;
}

/**
 * The gray bytes as painted. A 2-D map smaller than the input image under it
 * (e.g. a CAM at its layer's resolution) is upsampled bilinearly to the
 * image's size, as `tf.image.resize` does (cached per map and size); otherwise
 * (no image, same size, an image smaller than the map, sequences) the map is
 * painted at its native resolution and the image is resized to it.
 */
export function shownGray(src: HeatSource): Gray {
  const g = src.heat;
  const b = src.base;
  if (!b || src.sequence) return g;
  if (b.width < g.width || b.height < g.height) return g;
  return cachedUpsample(g, b.width, b.height);
}

/** Paints `src` with `look` into `canvas`, at the resolution of `shownGray(src)`. */
export function paintHeat(canvas: HTMLCanvasElement, src: HeatSource, look: Look): void {
  const {width: w, height: hgt, data} = shownGray(src);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hgt) canvas.height = hgt;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(w, hgt);
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const remap = byteToIndex(src.item, display, src.signed);
  const base = src.base ? cachedBase(src.base, w, hgt) : null;
  colorize(data, remap, look.table, base ? look.opacity : 1, base, img.data);
  ctx.putImageData(img, 0, 0);
}

/**
 * The raw value under a mouse event on a canvas painted from `src`: the
 * displayed pixel's, at its coordinates (input pixels when upsampled).
 */
export function valueAt(canvas: HTMLCanvasElement, src: HeatSource, ev: MouseEvent): {x: number; y: number; v: number} | null {
  const rect = canvas.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) return null;
  const g = shownGray(src);
  const x = Math.floor(((ev.clientX - rect.left) / rect.width) * g.width);
  const y = Math.floor(((ev.clientY - rect.top) / rect.height) * g.height);
  if (x < 0 || y < 0 || x >= g.width || y >= g.height) return null;
  return {x, y, v: rawValue(g.data[y * g.width + x], src.item)};
}

export interface HoverSink {
  show(text: string, ev: MouseEvent): void;
  hide(): void;
}

/** A blank heatmap canvas (sized later by `bindHeat`), e.g. while its blobs load. */
export function emptyHeatCanvas(label: string, clickable: boolean, shape?: readonly number[]): HTMLCanvasElement {
  const canvas = h('canvas', {
    className: 'heat',
    attrs: {role: 'img', 'aria-label': label, tabindex: clickable ? 0 : undefined},
  });
  if (shape && shape.length >= 2) {
    canvas.width = shape[1];
    canvas.height = shape[0];
  }
  return canvas;
}

/** Paints `src` into `canvas` and wires the hover readout and the click handler. */
export function bindHeat(canvas: HTMLCanvasElement, src: HeatSource, look: Look, hover: HoverSink, onClick?: () => void): void {
  paintHeat(canvas, src, look);
  canvas.dataset.painted = 'true';
  canvas.addEventListener('mousemove', (ev) => {
    const r = valueAt(canvas, src, ev);
    if (r) hover.show(`value ${formatValue(r.v)} at (${r.x}, ${r.y})`, ev);
    else hover.hide();
  });
  canvas.addEventListener('mouseleave', () => hover.hide());
  if (onClick) {
    canvas.addEventListener('click', onClick);
    canvas.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        onClick();
      }
    });
  }
}
