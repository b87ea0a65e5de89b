/** One heatmap over its input image (a frame of both, for tiles of several frames), drawn on a canvas, with a raw-value hover. */
import type {ManifestItem, Tile} from '../api';
import {h} from '../dom';
import {bitmapPixels, Gray} from '../images';
import {applyRegion, regionAt} from '../mask';
import {cachedUpsample} from '../resample';
import {byteToIndex, colorize, displayRange, formatValue, RawRange, rawValue, ScaleMode} from '../scale';
import {clampFrame, frameRows, tileFrame} from '../tiles';

export interface HeatSource {
  heat: Gray;
  item: ManifestItem;
  /** The input image under the map, if any. */
  base: ImageBitmap | null;
  /** Why the input image under the map could not be loaded, if it could not. */
  baseError?: string;
  signed: boolean;
  /** Whether the map is one pixel row drawn over each of its input's channel rows (a sequence's), never resampled. */
  stretch: boolean;
  /** How many frames the map's tile and its input's stack top to bottom (`/steps` `tile.frames`). */
  depth: number;
  /** The map's own shape (the manifest's), as its raw download has it. */
  shape: number[];
  /** The region of the explained segmentation target (0 / 255) when it is shown, else null. */
  mask: Gray | null;
}

export interface Look {
  table: Uint8Array;
  opacity: number;
  scale: ScaleMode;
  /** Shared raw range of the selection (used when scale is "shared"). */
  shared: RawRange | null;
}

const basePixels = new WeakMap<ImageBitmap, Map<string, Uint8ClampedArray>>();

/** The RGBA pixels of frame `frame` of an input image holding `depth` frames, resized to w x hgt (cached). */
function cachedBase(bmp: ImageBitmap, w: number, hgt: number, depth: number, frame: number): Uint8ClampedArray {
  let bySize = basePixels.get(bmp);
  if (!bySize) {
    bySize = new Map();
    basePixels.set(bmp, bySize);
  }
  const rows = frameRows(bmp.height, depth, frame);
  const key = `${w}x${hgt}@${rows.top}+${rows.height}`;
  let px = bySize.get(key);
  if (!px) {
    px = bitmapPixels(bmp, w, hgt, rows);
    bySize.set(key, px);
  }
  return px;
}

/**
 * The gray bytes as painted (of frame `frame`). A 2-D map smaller than the
 * input image under it (e.g. a CAM at its layer's resolution) is upsampled
 * bilinearly to the image's size, as `tf.image.resize` does (cached per map
 * and size); a one-row map that `stretch`es is repeated on each of its
 * input's channel rows;
 * otherwise (no image, same size, an image smaller than the map) the map is
 * painted at its native resolution and the image is resized to it.
 */
export function shownGray(src: HeatSource, frame = 0): Gray {
  const g = tileFrame(src.heat, src.depth, frame);
  const b = src.base;
  if (!b) return g;
  const bh = frameRows(b.height, src.depth, frame).height;
  if (src.stretch) return b.width === g.width && bh > 1 ? cachedUpsample(g, g.width, bh) : g;
  if (b.width < g.width || bh < g.height) return g;
  return cachedUpsample(g, b.width, bh);
}

/** Paints frame `frame` of `src` with `look` into `canvas`, at the resolution of `shownGray(src, frame)`. */
export function paintHeat(canvas: HTMLCanvasElement, src: HeatSource, look: Look, frame = 0): void {
  const {width: w, height: hgt, data} = shownGray(src, frame);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hgt) canvas.height = hgt;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(w, hgt);
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const remap = byteToIndex(src.item, display, src.signed);
  const base = src.base ? cachedBase(src.base, w, hgt, src.depth, frame) : null;
  colorize(data, remap, look.table, base ? look.opacity : 1, base, img.data);
  if (src.mask) applyRegion(img.data, regionAt(src.mask, w, hgt));
  ctx.putImageData(img, 0, 0);
  canvas.dataset.frame = String(clampFrame(frame, src.depth));
}

/**
 * The raw value under a mouse event on a canvas painted from frame `frame`
 * of `src`: the displayed pixel's, at its coordinates (input pixels when
 * upsampled).
 */
export function valueAt(canvas: HTMLCanvasElement, src: HeatSource, ev: MouseEvent, frame = 0): {x: number; y: number; v: number} | null {
  const rect = canvas.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) return null;
  const g = shownGray(src, frame);
  const x = Math.floor(((ev.clientX - rect.left) / rect.width) * g.width);
  const y = Math.floor(((ev.clientY - rect.top) / rect.height) * g.height);
  if (x < 0 || y < 0 || x >= g.width || y >= g.height) return null;
  return {x, y, v: rawValue(g.data[y * g.width + x], src.item)};
}

export interface HoverSink {
  show(text: string, ev: MouseEvent): void;
  hide(): void;
}

/** A blank heatmap canvas of one frame of `tile` (sized again by `bindHeat`), e.g. while its blobs load. */
export function emptyHeatCanvas(label: string, clickable: boolean, tile?: Tile): HTMLCanvasElement {
  const canvas = h('canvas', {
    className: 'heat',
    attrs: {role: 'img', 'aria-label': label, tabindex: clickable ? 0 : undefined},
  });
  if (tile && tile.width > 0 && tile.height > 0) {
    canvas.width = tile.width;
    canvas.height = frameRows(tile.height, tile.frames, 0).height;
  }
  return canvas;
}

/** The hover text of a value at (x, y), naming the frame of a tile of several. */
export function hoverText(r: {x: number; y: number; v: number}, src: HeatSource, frame: number): string {
  const where = src.depth > 1 ? `(${r.x}, ${r.y}) of frame ${clampFrame(frame, src.depth) + 1}` : `(${r.x}, ${r.y})`;
  return `value ${formatValue(r.v)} at ${where}`;
}

/**
 * Paints frame `frame` of `src` into `canvas` and wires the hover readout
 * and the click handler (given the frame shown). Returns a function that
 * repaints another frame (tiles of several), which the hover then reads.
 */
export function bindHeat(
  canvas: HTMLCanvasElement,
  src: HeatSource,
  look: Look,
  hover: HoverSink,
  onClick?: (frame: number) => void,
  frame = 0,
): (frame: number) => void {
  let shown = frame;
  paintHeat(canvas, src, look, shown);
  canvas.dataset.painted = 'true';
  canvas.addEventListener('mousemove', (ev) => {
    const r = valueAt(canvas, src, ev, shown);
    if (r) hover.show(hoverText(r, src, shown), ev);
    else hover.hide();
  });
  canvas.addEventListener('mouseleave', () => hover.hide());
  if (onClick) {
    canvas.addEventListener('click', () => onClick(shown));
    canvas.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        onClick(shown);
      }
    });
  }
  return (k: number) => {
    shown = k;
    paintHeat(canvas, src, look, shown);
  };
}
