/**
 * Decoding of blob PNGs, cached by URL with a bounded LRU.
 *
 * Heatmaps are decoded to their gray bytes (one byte per pixel); inputs and
 * other images are kept as ImageBitmaps to draw directly.
 */

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

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.limit) {
      const first = this.map.keys().next().value;
      if (first === undefined) break;
      this.map.delete(first);
    }
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

async function fetchBitmap(url: string): Promise<ImageBitmap> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} failed (${res.status})`);
  const blob = await res.blob();
  return createImageBitmap(blob, {premultiplyAlpha: 'none', colorSpaceConversion: 'none'});
}

/** Bounded caches of decoded images keyed by blob URL (blobs are immutable). */
export class ImageCache {
  private readonly grays: Lru<Promise<Gray>>;
  private readonly bitmaps: Lru<Promise<ImageBitmap>>;

  constructor(limit = 3000) {
    this.grays = new Lru(limit);
    this.bitmaps = new Lru(limit);
  }

  /** Gray bytes (red channel) of a grayscale PNG. */
  gray(url: string): Promise<Gray> {
    const hit = this.grays.get(url);
    if (hit) return hit;
    const p = fetchBitmap(url).then((bmp) => {
      const ctx = scratch(bmp.width, bmp.height);
      ctx.drawImage(bmp, 0, 0);
      const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      const data = new Uint8Array(bmp.width * bmp.height);
      for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4];
      const g: Gray = {width: bmp.width, height: bmp.height, data};
      bmp.close();
      return g;
    });
    p.catch(() => this.grays.delete(url));
    this.grays.set(url, p);
    return p;
  }

  /** A drawable bitmap of any PNG. */
  bitmap(url: string): Promise<ImageBitmap> {
    const hit = this.bitmaps.get(url);
    if (hit) return hit;
    const p = fetchBitmap(url);
    p.catch(() => this.bitmaps.delete(url));
    this.bitmaps.set(url, p);
    return p;
  }
}

/** RGBA pixels of `bmp` resized to w x h (for blending under a heatmap). */
export function bitmapPixels(bmp: ImageBitmap, w: number, h: number): Uint8ClampedArray {
  const ctx = scratch(w, h);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(bmp, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h).data;
}
