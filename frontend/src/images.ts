/**
 * Decoding of blob PNGs, cached by URL with a bounded LRU.
 *
 * A blob is a strip: the images of several manifest rows stacked top to
 * bottom (see `ImageRef`). A strip is fetched and decoded once and cut into
 * its tiles, which stay the same objects while cached (views keyed on them,
 * such as resampled maps, are reused). Heatmaps are decoded to their gray
 * bytes (one byte per pixel); inputs and other images are kept as
 * ImageBitmaps to draw directly.
 */

import type {ImageRef} from './api';

export interface Gray {
  width: number;
  height: number;
  data: Uint8Array;
}

function scratch(w: number, h: number): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  if (typeof OffscreenCanvas !== 'undefined') {
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d', {willReadFrequently: true});
    if (ctx) return ctx;
  }
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d', {willReadFrequently: true});
  if (!ctx) throw new Error('2D canvas is not available');
  return ctx;
}

/** An LRU bounded by the summed weight of its values (weights may come later). */
export class Lru<V> {
  private readonly map = new Map<string, {value: V; weight: number}>();
  private total = 0;
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e !== undefined) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e?.value;
  }
  set(key: string, value: V, weight = 0): void {
    this.delete(key);
    this.map.set(key, {value, weight});
    this.total += weight;
    this.evict(key);
  }
  /** Sets the weight of `key`'s value if it is still `value` (e.g. once decoded). */
  weigh(key: string, value: V, weight: number): void {
    const e = this.map.get(key);
    if (!e || e.value !== value) return;
    this.total += weight - e.weight;
    e.weight = weight;
    this.evict(key);
  }
  delete(key: string): void {
    const e = this.map.get(key);
    if (!e) return;
    this.total -= e.weight;
    this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
  get weight(): number {
    return this.total;
  }
  /** Drops the least recently used values over the limit, never `keep`. */
  private evict(keep: string): void {
    for (const key of this.map.keys()) {
      if (this.total <= this.limit) break;
      if (key !== keep) this.delete(key);
    }
  }
}

async function fetchBitmap(url: string): Promise<ImageBitmap> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} failed (${res.status})`);
  const blob = await res.blob();
  return createImageBitmap(blob, {premultiplyAlpha: 'none', colorSpaceConversion: 'none'});
}

/**
 * Why a decoded strip of `width` x `height` pixels cannot hold the images
 * `ref` expects (`count` images of `ref.width` x `ref.height`, stacked), or
 * null when it can. A dimension the manifest does not give (0) is only
 * checked for dividing evenly.
 */
export function stripMismatch(width: number, height: number, ref: Pick<ImageRef, 'count' | 'width' | 'height'>): string | null {
  if (width === 0 || height === 0) return 'the image has no pixels';
  const count = Math.max(1, ref.count);
  const wrongW = ref.width > 0 && width !== ref.width;
  const wrongH = ref.height > 0 ? height !== count * ref.height : height % count !== 0;
  if (!wrongW && !wrongH) return null;
  const each = `${ref.width || 'any'} x ${ref.height || 'any'}`;
  return `the image is ${width} x ${height} pixels; the manifest says it holds ${count} image(s) of ${each} stacked`;
}

/** The `count` tile views of a decoded gray strip, each `tileHeight` rows (shared bytes, no copies). */
export function grayTiles(strip: Gray, tileHeight: number, count: number): Gray[] {
  const w = strip.width;
  return Array.from({length: count}, (_, k) => ({width: w, height: tileHeight, data: strip.data.subarray(k * tileHeight * w, (k + 1) * tileHeight * w)}));
}

/** Decodes a strip to gray bytes (its red channel), one byte per pixel. */
function grayOf(bmp: ImageBitmap): Gray {
  const {width, height} = bmp;
  const ctx = scratch(width, height);
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4];
  return {width, height, data};
}

/** The strip cut into `count` drawable bitmaps of `tileHeight` rows (the strip itself when it is one). */
async function bitmapTiles(bmp: ImageBitmap, tileHeight: number, count: number): Promise<ImageBitmap[]> {
  if (count === 1) return [bmp];
  const opts: ImageBitmapOptions = {premultiplyAlpha: 'none', colorSpaceConversion: 'none'};
  const tiles = await Promise.all(Array.from({length: count}, (_, k) => createImageBitmap(bmp, 0, k * tileHeight, bmp.width, tileHeight, opts)));
  bmp.close();
  return tiles;
}

/** Bounded caches of decoded strips keyed by blob URL (blobs are immutable). */
export class ImageCache {
  private readonly grays: Lru<Promise<Gray[]>>;
  private readonly bitmaps: Lru<Promise<ImageBitmap[]>>;

  /** The limits are in decoded pixels (1 byte each for gray, 4 for bitmaps). */
  constructor(grayPixels = 32 * 1024 * 1024, bitmapPixels = 16 * 1024 * 1024) {
    this.grays = new Lru(grayPixels);
    this.bitmaps = new Lru(bitmapPixels);
  }

  /** Gray bytes (red channel) of the grayscale image `ref` points to. */
  gray(ref: ImageRef): Promise<Gray> {
    return tileOf(this.grays, ref, (bmp, h, n) => grayTiles(grayOf(bmp), h, n));
  }

  /** A drawable bitmap of the image `ref` points to. */
  bitmap(ref: ImageRef): Promise<ImageBitmap> {
    return tileOf(this.bitmaps, ref, bitmapTiles);
  }
}

/** Rejects a decoded strip that does not hold the images `ref` expects (closing it). */
function checked(bmp: ImageBitmap, ref: ImageRef): ImageBitmap {
  const why = stripMismatch(bmp.width, bmp.height, ref);
  if (why === null) return bmp;
  bmp.close();
  throw new Error(why);
}

/**
 * Tile `ref.tile` of the strip at `ref.url`, checked against the manifest,
 * cut by `cut` once per strip into its tiles (each `tile height` rows) and
 * kept in `cache`, weighed by its pixels once decoded.
 */
async function tileOf<T extends {width: number; height: number}>(
  cache: Lru<Promise<T[]>>,
  ref: ImageRef,
  cut: (bmp: ImageBitmap, tileHeight: number, count: number) => T[] | Promise<T[]>,
): Promise<T> {
  const key = `${ref.count}x${ref.width}x${ref.height}|${ref.url}`;
  let strip = cache.get(key);
  if (!strip) {
    const loading = fetchBitmap(ref.url).then((bmp) => {
      const ok = checked(bmp, ref);
      return cut(ok, ref.height > 0 ? ref.height : ok.height / ref.count, ref.count);
    });
    strip = loading;
    cache.set(key, loading);
    loading.then(
      (tiles) => cache.weigh(key, loading, tiles.reduce((sum, t) => sum + t.width * t.height, 0)),
      () => cache.delete(key),
    );
  }
  const tiles = await strip;
  const tile = tiles[ref.tile];
  if (tile === undefined) throw new Error(`${ref.url} holds ${tiles.length} images, not ${ref.tile + 1}`);
  return tile;
}

/**
 * RGBA pixels of `bmp` (or of its pixel rows `rows`, e.g. one frame of a
 * tile of several) resized to w x h, for blending under a heatmap.
 */
export function bitmapPixels(bmp: ImageBitmap, w: number, h: number, rows?: {top: number; height: number}): Uint8ClampedArray {
  const ctx = scratch(w, h);
  ctx.imageSmoothingEnabled = true;
  const top = rows?.top ?? 0;
  const height = rows?.height ?? bmp.height;
  ctx.drawImage(bmp, 0, top, bmp.width, height, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}
