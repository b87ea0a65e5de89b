/**
 * Access to the plugin's HTTP API. Every URL is relative to the iframe's
 * <base href="plugin/tbexplain/">, so --path_prefix and proxies keep working.
 */

export interface TagInfo {
  kind: string;
  method: string;
  layer: string;
  signed: boolean;
  encoding: string;
  inputs_tag: string;
  stage: string;
  samples: number;
  max_step: number;
  max_wall_time: number;
  display_name: string;
  description: string;
}

export interface TagsResponse {
  runs: Record<string, Record<string, TagInfo>>;
  skipped: {run: string; tag: string; reason: string}[];
}

export interface ManifestItem {
  sample?: number;
  class_id?: number;
  class_name?: string;
  score?: number;
  label?: number;
  label_name?: string;
  min: number;
  max: number;
  nonfinite?: number;
  channel?: number;
  mean?: number;
  filter?: number;
  objective?: number;
}

export interface Manifest {
  version: number;
  kind: string;
  shape: number[];
  items: ManifestItem[];
}

/**
 * Where the image of one manifest row is: tile `tile` (counted from the top)
 * of the PNG strip at `url`, each tile `height` rows high; `height` null when
 * the blob is that one image.
 */
export interface ImageRef {
  url: string;
  tile: number;
  height: number | null;
}

export interface StepEntry {
  step: number;
  wall_time: number;
  manifest: Manifest;
  /** images[i] is the image that manifest.items[i] describes. */
  images: ImageRef[];
}

/** A manifest as /steps serves it: one list per fact, class names once. */
export interface WireManifest {
  version: number;
  kind: string;
  shape: number[];
  /** How many rows' images each blob holds, stacked top to bottom. */
  tiles?: number;
  columns: Record<string, unknown[]>;
  names?: Record<string, string>;
}

interface WireStepEntry {
  step: number;
  wall_time: number;
  manifest: WireManifest;
  blobs: string[];
}

export interface StepsResponse {
  run: string;
  tag: string;
  steps: WireStepEntry[];
}

const NAMED: Record<string, 'class_name' | 'label_name'> = {class_id: 'class_name', label: 'label_name'};

/**
 * One item per image (manifest row) from the served columns: null facts are left out (a
 * null `score` is kept), `class_name` / `label_name` come from `names`.
 */
export function expandManifest(m: WireManifest): Manifest {
  const keys = Object.keys(m.columns ?? {});
  const n = keys.length ? m.columns[keys[0]].length : 0;
  const names = m.names ?? {};
  const items: ManifestItem[] = [];
  for (let i = 0; i < n; i++) {
    const item: Record<string, unknown> = {};
    for (const k of keys) {
      const v = m.columns[k][i];
      if (v !== null && v !== undefined) item[k] = v;
      else if (k === 'score') item[k] = null;
      const nameKey = NAMED[k];
      if (nameKey && v !== null && v !== undefined) {
        const name = names[String(v)];
        if (name !== undefined) item[nameKey] = name;
      }
    }
    items.push(item as unknown as ManifestItem);
  }
  return {version: m.version, kind: m.kind, shape: m.shape, items};
}

/**
 * The image of each of `rows` manifest rows in a step's blobs: row i is tile
 * i mod tiles of blob floor(i / tiles), tiles being shape[0] rows high (1 for
 * [T] sequences).
 */
export function imageRefs(m: Pick<WireManifest, 'shape' | 'tiles'>, rows: number, blobs: readonly string[]): ImageRef[] {
  const tiles = m.tiles && m.tiles > 0 ? m.tiles : 1;
  const height = tiles === 1 ? null : m.shape.length === 1 ? 1 : m.shape[0];
  return Array.from({length: rows}, (_, i) => ({url: blobs[Math.floor(i / tiles)] ?? '', tile: i % tiles, height}));
}

export type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;

async function getJson<T>(fetchFn: FetchFn, url: string): Promise<T> {
  const res = await fetchFn(url, {cache: 'no-store'});
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const body = (await res.json()) as {error?: string};
      if (body && typeof body.error === 'string') detail = body.error;
    } catch {
      // not JSON
    }
    throw new Error(`GET ${url} failed (${res.status}): ${detail}`);
  }
  return (await res.json()) as T;
}

/** Cached client of the tbexplain routes. `invalidate()` marks all series stale. */
export class Api {
  private generation = 0;
  private readonly steps = new Map<string, {gen: number; promise: Promise<StepEntry[]>}>();

  constructor(private readonly fetchFn: FetchFn = (u, i) => fetch(u, i)) {}

  tags(): Promise<TagsResponse> {
    return getJson<TagsResponse>(this.fetchFn, './tags');
  }

  /** All steps of a series (manifests and blob URLs), ascending; cached until invalidated. */
  series(run: string, tag: string): Promise<StepEntry[]> {
    const key = JSON.stringify([run, tag]);
    const hit = this.steps.get(key);
    if (hit && hit.gen === this.generation) return hit.promise;
    const url = `./steps?run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`;
    const promise = getJson<StepsResponse>(this.fetchFn, url).then((r) =>
      r.steps.map((s) => {
        const manifest = expandManifest(s.manifest);
        return {step: s.step, wall_time: s.wall_time, manifest, images: imageRefs(s.manifest, manifest.items.length, s.blobs)};
      }),
    );
    const entry = {gen: this.generation, promise};
    // Keep serving the previous data while a refresh is in flight.
    promise.catch(() => {
      if (this.steps.get(key) === entry) this.steps.delete(key);
    });
    this.steps.set(key, entry);
    return promise;
  }

  /** The already-resolved-or-pending series, without refetching a stale one. */
  peekSeries(run: string, tag: string): Promise<StepEntry[]> | undefined {
    return this.steps.get(JSON.stringify([run, tag]))?.promise;
  }

  /** Marks every cached series stale (after a TensorBoard reload). */
  invalidate(): void {
    this.generation++;
  }
}
