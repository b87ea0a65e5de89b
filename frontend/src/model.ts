/**
 * Pure selection logic: which runs, series, steps and items the views show.
 * No DOM and no fetching here, so everything is unit-tested.
 */
import type {ManifestItem, StepEntry, TagInfo, TagsResponse} from './api';
import type {Correctness} from './state';

/** TensorBoard-like categorical palette for runs. */
const PALETTE = [
  '#ff7043', '#0077bb', '#cc3311', '#33bbee', '#ee3377', '#009988', '#bbbbbb', '#9c27b0',
  '#6d4c41', '#f9a825', '#43a047', '#5c6bc0',
];

/**
 * Colour of a run: by its index among all runs (sorted), so it is stable
 * across filters and selections. Past the palette, hues step by the golden
 * angle, so a sweep of a hundred runs gets a hundred distinct colours.
 */
export function runColor(run: string, allRuns: readonly string[]): string {
  const i = Math.max(0, allRuns.indexOf(run));
  if (i < PALETTE.length) return PALETTE[i];
  const k = i - PALETTE.length;
  const hue = Math.round((k * 137.508) % 360);
  const light = [45, 60, 35][k % 3];
  return `hsl(${hue}, 65%, ${light}%)`;
}

/** Runs matching a regex filter (case-insensitive); an invalid regex matches as a substring. */
export function filterRuns(runs: readonly string[], filter: string): string[] {
  if (!filter) return [...runs];
  let re: RegExp | null = null;
  try {
    re = new RegExp(filter, 'i');
  } catch {
    re = null;
  }
  const f = filter.toLowerCase();
  return runs.filter((r) => (re ? re.test(r) : r.toLowerCase().includes(f)));
}

/** The runs to display: the explicit selection (or all) intersected with the filter. */
export function activeRuns(allRuns: readonly string[], selected: readonly string[] | null, filter: string): string[] {
  const visible = filterRuns(allRuns, filter);
  if (selected === null) return visible;
  const sel = new Set(selected);
  return visible.filter((r) => sel.has(r));
}

/**
 * The selection with every run matching `filter` added ("select all
 * matching"), in run order; null (all runs) stays null.
 */
export function selectMatching(allRuns: readonly string[], selected: readonly string[] | null, filter: string): string[] | null {
  if (selected === null) return null;
  const sel = new Set([...selected, ...filterRuns(allRuns, filter)]);
  return allRuns.filter((r) => sel.has(r));
}

/** The selection with `run` checked or unchecked (null: all runs were selected), in run order. */
export function toggleRun(allRuns: readonly string[], selected: readonly string[] | null, run: string, on: boolean): string[] {
  const sel = new Set(selected ?? allRuns);
  if (on) sel.add(run);
  else sel.delete(run);
  return allRuns.filter((r) => sel.has(r));
}

export interface Series {
  run: string;
  tag: string;
  info: TagInfo;
}

/** Every series of `kind` in `runs` (in run order, then tag order). */
export function seriesOfKind(tags: TagsResponse, runs: readonly string[], kind: string): Series[] {
  const out: Series[] = [];
  for (const run of runs) {
    const byTag = tags.runs[run];
    if (!byTag) continue;
    for (const tag of Object.keys(byTag).sort()) {
      const info = byTag[tag];
      if (info.kind === kind) out.push({run, tag, info});
    }
  }
  return out;
}

/** Sorted distinct values. */
export function distinct(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Picks `wanted` if it is among `options`, else the first option (or ''). */
export function pick(options: readonly string[], wanted: string): string {
  return options.includes(wanted) ? wanted : options[0] ?? '';
}

/** Method and layer facets of explanation series, with the effective choice. */
export function facets(
  series: readonly Series[],
  method: string,
  layer: string,
): {methods: string[]; method: string; layers: string[]; layer: string} {
  const methods = distinct(series.map((s) => s.info.method));
  const m = pick(methods, method);
  const layers = distinct(series.filter((s) => s.info.method === m).map((s) => s.info.layer));
  const l = pick(layers, layer);
  return {methods, method: m, layers, layer: l};
}

/** The explanation series of the chosen method and layer. */
export function matchingSeries(series: readonly Series[], method: string, layer: string): Series[] {
  return series.filter((s) => s.info.method === method && s.info.layer === layer);
}

/**
 * The steps a view offers before all its series are loaded: every step of
 * the series loaded so far, and the last step of each of the others (from
 * /tags), so the latest step is right from the start.
 */
export function offeredSteps(series: readonly Series[], loadedSteps: (s: Series) => readonly number[] | undefined): number[] {
  return unionSteps(series.map((s) => loadedSteps(s) ?? (Number.isFinite(s.info.max_step) ? [s.info.max_step] : [])));
}

/** Sorted union of step numbers. */
export function unionSteps(lists: Iterable<readonly number[]>): number[] {
  const all = new Set<number>();
  for (const l of lists) for (const s of l) all.add(s);
  return [...all].sort((a, b) => a - b);
}

/**
 * Snaps `target` to one of `steps` (ascending): the largest step <= target,
 * else the first step. `target` null means the latest. Returns null if empty.
 */
export function snapStep(steps: readonly number[], target: number | null): number | null {
  if (steps.length === 0) return null;
  if (target === null) return steps[steps.length - 1];
  let best: number | null = null;
  for (const s of steps) {
    if (s <= target) best = s;
    else break;
  }
  return best ?? steps[0];
}

/** The entry at `step`, or the nearest earlier one (else the first); null if none. */
export function entryAtOrBefore(entries: readonly StepEntry[], step: number | null): StepEntry | null {
  const s = snapStep(
    entries.map((e) => e.step),
    step,
  );
  if (s === null) return null;
  return entries.find((e) => e.step === s) ?? null;
}

/** Index of `step` in `steps` moved by `delta`, clamped; returns the new step. */
export function stepNeighbour(steps: readonly number[], current: number | null, delta: number): number | null {
  if (steps.length === 0) return null;
  const snapped = snapStep(steps, current);
  const i = snapped === null ? steps.length - 1 : steps.indexOf(snapped);
  const j = Math.max(0, Math.min(steps.length - 1, i + delta));
  return steps[j];
}

/**
 * The predicted class of each sample in one manifest. Manifests with a
 * `predicted` column record the model's own prediction, whatever is
 * explained: that is used (a null, a model without classes, predicts
 * nothing). Older manifests fall back to the class of the item with the
 * highest score among that sample's items (items without scores count as
 * predicted when they are the only item of their sample), which is only
 * right when the predicted class is what is explained.
 */
export function predictedBySample(items: readonly ManifestItem[]): Map<number, number> {
  const out = new Map<number, number>();
  if (items.some((it) => it.predicted !== undefined)) {
    for (const it of items) {
      if (it.sample !== undefined && typeof it.predicted === 'number' && !out.has(it.sample)) out.set(it.sample, it.predicted);
    }
    return out;
  }
  const best = new Map<number, {score: number; cls: number}>();
  for (const it of items) {
    if (it.sample === undefined || it.class_id === undefined) continue;
    const score = typeof it.score === 'number' && Number.isFinite(it.score) ? it.score : -Infinity;
    const cur = best.get(it.sample);
    if (!cur || score > cur.score) best.set(it.sample, {score, cls: it.class_id});
  }
  for (const [s, v] of best) out.set(s, v.cls);
  return out;
}

/**
 * What a map explains, as shown where a class name is shown: the explained
 * class's name (or id), else the manifest's named target (a callable target
 * such as "age (regression)"); null when neither is recorded.
 */
export function explainedName(item: ManifestItem, targetName: string | undefined): string | null {
  if (item.class_id !== undefined) return item.class_name ?? String(item.class_id);
  return targetName || null;
}

/** Whether a sample was classified correctly; null when the label or prediction is unknown. */
export function isCorrect(item: ManifestItem, predicted: Map<number, number>): boolean | null {
  if (item.label === undefined || item.label === null || item.sample === undefined) return null;
  const p = predicted.get(item.sample);
  if (p === undefined) return null;
  return p === item.label;
}

export interface ItemFilter {
  classId: number | null;
  label: number | null;
  correctness: Correctness;
}

/** Indices of the manifest items that pass the class / label / correctness filters. */
export function filterItems(items: readonly ManifestItem[], f: ItemFilter): number[] {
  const predicted = predictedBySample(items);
  const out: number[] = [];
  items.forEach((it, i) => {
    if (f.classId !== null && it.class_id !== f.classId) return;
    if (f.label !== null && it.label !== f.label) return;
    if (f.correctness !== 'all') {
      const ok = isCorrect(it, predicted);
      if (ok === null || ok !== (f.correctness === 'correct')) return;
    }
    out.push(i);
  });
  return out;
}

export interface ClassOption {
  id: number;
  name: string;
}

/** Distinct (id, name) pairs of a field over all items of all entries, sorted by id. */
export function classOptions(
  entries: Iterable<readonly ManifestItem[]>,
  field: 'class' | 'label',
): ClassOption[] {
  const seen = new Map<number, string>();
  for (const items of entries) {
    for (const it of items) {
      const id = field === 'class' ? it.class_id : it.label;
      const name = field === 'class' ? it.class_name : it.label_name;
      if (typeof id !== 'number') continue;
      if (!seen.has(id) || (!seen.get(id) && name)) seen.set(id, name ?? '');
    }
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([id, name]) => ({id, name: name || String(id)}));
}

/** Distinct sample indices (sorted) of the items of some manifests. */
export function sampleOptions(entries: Iterable<readonly ManifestItem[]>): number[] {
  const s = new Set<number>();
  for (const items of entries) for (const it of items) if (typeof it.sample === 'number') s.add(it.sample);
  return [...s].sort((a, b) => a - b);
}

/** Index of the inputs item for `sample`, or -1. */
export function inputIndex(items: readonly ManifestItem[], sample: number | undefined): number {
  if (sample === undefined) return -1;
  return items.findIndex((it) => it.sample === sample);
}

/**
 * Row keys of the visible items of one entry: the sample and the item's rank
 * among that sample's visible maps, so that runs line up by sample even when
 * they predict (and so explain) different classes.
 */
export function rowKeys(items: readonly ManifestItem[], visible: readonly number[]): Map<string, number> {
  const rank = new Map<number, number>();
  const out = new Map<string, number>();
  for (const i of visible) {
    const sample = items[i].sample ?? i;
    const r = rank.get(sample) ?? 0;
    rank.set(sample, r + 1);
    out.set(`${sample}:${r}`, i);
  }
  return out;
}

/**
 * The row keys (`rowKeys`) of several entries shown side by side (runs, or a
 * run's series of several inputs), each once, sorted by sample then rank: a
 * sample's maps in every series read together.
 */
export function alignRows(keyed: readonly ReadonlyMap<string, number>[]): string[] {
  const keys = new Set<string>();
  for (const m of keyed) for (const k of m.keys()) keys.add(k);
  return [...keys].sort((a, b) => {
    const [sa, ra] = a.split(':').map(Number);
    const [sb, rb] = b.split(':').map(Number);
    return sa - sb || ra - rb;
  });
}

/**
 * Series grouped by run, in order. Among the series of one method and layer,
 * a run has several only for a model of several inputs (one series per
 * explained input), which are then shown together by sample.
 */
export function groupByRun(series: readonly Series[]): Series[][] {
  const groups = new Map<string, Series[]>();
  for (const s of series) groups.set(s.run, [...(groups.get(s.run) ?? []), s]);
  return [...groups.values()];
}
