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
  /** Images (manifest rows) of the latest kept step; null when its manifest is unusable. */
  samples: number | null;
  max_step: number;
  max_wall_time: number;
  display_name: string;
  description: string;
  /**
   * The series' recorded layout (format version 4; empty before). Each
   * step's own, resolved for older series, is `StepEntry.layout`.
   */
  layout?: string;
  /** The model input the series holds or explains (models of several inputs). */
  input_name?: string;
  /** The names of the features of a features inputs series. */
  feature_names?: string[];
  /** The inputs series of each sample's region of a segmentation target (explanation series). */
  mask_tag?: string;
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
  /**
   * The model's own predicted class of the row's sample, whatever is
   * explained; null when the manifest has the column but the model has no
   * classes (regression); absent in manifests without the column.
   */
  predicted?: number | null;
  predicted_name?: string;
  min: number;
  max: number;
  nonfinite?: number;
  channel?: number;
  mean?: number;
  filter?: number;
  objective?: number;
  /** The token texts of a tokens inputs row. */
  tokens?: string[];
}

export interface Manifest {
  version: number;
  kind: string;
  shape: number[];
  items: ManifestItem[];
  /** Names a callable target (rows then have a `score` but no `class_id`). */
  target_name?: string;
}

/**
 * Where the image of one manifest row is: tile `tile` (counted from the top)
 * of the PNG strip at `url`, which holds `count` images of `width` x `height`
 * pixels stacked top to bottom (as the manifest's `shape` and `tiles` say;
 * 0 where the manifest does not tell).
 */
export interface ImageRef {
  url: string;
  tile: number;
  count: number;
  width: number;
  height: number;
}

/** One row's tile in a strip, as /steps gives it (`metadata.tile_geometry`); 0 where not given. */
export interface Tile {
  width: number;
  height: number;
  /** How many frames the tile stacks top to bottom, each `height / frames` rows. */
  frames: number;
}

export interface StepEntry {
  step: number;
  wall_time: number;
  manifest: Manifest;
  /** How the step's rows are laid out (`/steps` `layout`): the key of their `layouts/` module. */
  layout: string;
  tile: Tile;
  /** images[i] is the image that manifest.items[i] describes. */
  images: ImageRef[];
}

/** A step the plugin could not read, and why. */
export interface SkippedStep {
  step: number;
  reason: string;
}

/** The kept steps of one series, ascending, and those the plugin skipped. */
export interface SeriesData {
  steps: StepEntry[];
  skipped: SkippedStep[];
}

/** One logged value of a metric (NaN where the map was undefined). */
export interface MetricPoint {
  step: number;
  wall_time: number;
  value: number;
}

/** A metric's point as /metrics serves it: a NaN or infinite value is null. */
export interface ServedMetricPoint {
  step: number;
  wall_time: number;
  value: number | null;
}

/** The scalars logged for one explanation series: metric name -> points. */
export type Metrics = Record<string, ServedMetricPoint[]>;

/** A manifest as /steps serves it: one list per fact, class names once. */
export interface WireManifest {
  version: number;
  kind: string;
  shape: number[];
  /** How many rows' images each blob holds, stacked top to bottom. */
  tiles?: number;
  columns: Record<string, unknown[]>;
  names?: Record<string, string>;
  target_name?: string;
}

interface WireStepEntry {
  step: number;
  wall_time: number;
  manifest: WireManifest;
  layout?: string;
  tile?: Partial<Tile>;
  blobs: string[];
}

export interface StepsResponse {
  run: string;
  tag: string;
  steps: WireStepEntry[];
  skipped_steps?: SkippedStep[];
}

interface MetricsResponse {
  run: string;
  tag: string;
  metrics: Metrics;
}

const NAMED: Record<string, 'class_name' | 'label_name' | 'predicted_name'> = {
  class_id: 'class_name',
  label: 'label_name',
  predicted: 'predicted_name',
};
/** Facts whose null is kept (it says something: a non-finite score, a model without classes). */
const KEEP_NULL = new Set(['score', 'predicted']);

/**
 * One item per image (manifest row) from the served columns. The one decoder
 * of manifest rows in the browser; `metadata.manifest_items` (Python) follows
 * the same rules, and both are held to `tests/fixtures/manifests/`: null facts
 * are left out (a null `score` or `predicted` is kept); an integer id of
 * `class_id`, `label` or `predicted` named in `names` adds `class_name`,
 * `label_name` or `predicted_name`.
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
      else if (KEEP_NULL.has(k)) item[k] = null;
      const nameKey = NAMED[k];
      // Digits only: never a key of Object.prototype.
      const name = nameKey && Number.isSafeInteger(v) ? names[String(v)] : undefined;
      if (nameKey && name !== undefined) item[nameKey] = name;
    }
    items.push(item as unknown as ManifestItem);
  }
  const out: Manifest = {version: m.version, kind: m.kind, shape: m.shape, items};
  if (typeof m.target_name === 'string' && m.target_name) out.target_name = m.target_name;
  return out;
}

function dimension(v: unknown): number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0;
}

/** The served tile, each size a positive integer (0 where not given; one frame at least). */
export function servedTile(t: Partial<Tile> | undefined): Tile {
  return {width: dimension(t?.width), height: dimension(t?.height), frames: dimension(t?.frames) || 1};
}

/**
 * The image of each of `rows` manifest rows in a step's blobs: row i is tile
 * i mod tiles of blob floor(i / tiles), each of the size of `tile`; the last
 * blob holds the rest of the rows.
 */
export function imageRefs(m: Pick<WireManifest, 'tiles'>, tile: Tile, rows: number, blobs: readonly string[]): ImageRef[] {
  const tiles = m.tiles && m.tiles > 0 ? m.tiles : 1;
  return Array.from({length: rows}, (_, i) => {
    const blob = Math.floor(i / tiles);
    const count = Math.min(tiles, rows - blob * tiles);
    return {url: blobs[blob] ?? '', tile: i % tiles, count, width: tile.width, height: tile.height};
  });
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

/** The served answer of /steps as entries with expanded manifests and image refs. */
export function seriesData(r: StepsResponse): SeriesData {
  const steps = r.steps.map((s) => {
    const manifest = expandManifest(s.manifest);
    const tile = servedTile(s.tile);
    const layout = typeof s.layout === 'string' ? s.layout : '';
    return {step: s.step, wall_time: s.wall_time, manifest, layout, tile, images: imageRefs(s.manifest, tile, manifest.items.length, s.blobs)};
  });
  return {steps, skipped: Array.isArray(r.skipped_steps) ? r.skipped_steps : []};
}

function query(run: string, tag: string): string {
  return `run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`;
}

/** A per-key cache of requests; a generation bump marks every entry stale. */
class Cached<T> {
  private readonly entries = new Map<string, {gen: number; promise: Promise<T>}>();
  private readonly resolved = new Map<string, T>();

  get(key: string, gen: number, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.gen === gen) return hit.promise;
    const promise = load();
    const entry = {gen, promise};
    promise.then(
      (value) => {
        if (this.entries.get(key) === entry) this.resolved.set(key, value);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.entries.set(key, entry);
    return promise;
  }

  /** The latest value that arrived for `key`, also a stale one. */
  peek(key: string): T | undefined {
    return this.resolved.get(key);
  }
}

/**
 * Cached client of the tbexplain routes. `invalidate()` marks everything
 * stale. A step's images are cut by the tile `/steps` gives it.
 */
export class Api {
  private generation = 0;
  private readonly steps = new Cached<SeriesData>();
  private readonly metricsCache = new Cached<Metrics>();

  constructor(private readonly fetchFn: FetchFn = (u, i) => fetch(u, i)) {}

  tags(): Promise<TagsResponse> {
    return getJson<TagsResponse>(this.fetchFn, './tags');
  }

  /** All kept steps of a series (manifests and blob URLs), ascending; cached until invalidated. */
  series(run: string, tag: string): Promise<SeriesData> {
    const key = JSON.stringify([run, tag]);
    return this.steps.get(key, this.generation, () =>
      getJson<StepsResponse>(this.fetchFn, `./steps?${query(run, tag)}`).then(seriesData),
    );
  }

  /** The series as it last arrived (possibly stale), without fetching; undefined before. */
  peekSeries(run: string, tag: string): SeriesData | undefined {
    return this.steps.peek(JSON.stringify([run, tag]));
  }

  /** The scalars logged for an explanation series (`{}` when none); cached until invalidated. */
  metrics(run: string, tag: string): Promise<Metrics> {
    return this.metricsCache.get(JSON.stringify([run, tag]), this.generation, () =>
      getJson<MetricsResponse>(this.fetchFn, `./metrics?${query(run, tag)}`).then((r) =>
        r && typeof r.metrics === 'object' && r.metrics !== null ? r.metrics : {},
      ),
    );
  }

  /** Marks every cached answer stale (after a TensorBoard reload). */
  invalidate(): void {
    this.generation++;
  }
}
