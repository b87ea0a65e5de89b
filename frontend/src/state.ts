/**
 * The UI selection as a plain value, with its (de)serialisation.
 *
 * The state is persisted in the iframe's URL hash and in localStorage, so the
 * selection survives TensorBoard reloads and page reloads. Decoding never
 * trusts its input: malformed values fall back to the defaults. A view id
 * is kept as given, also one the registry (views.ts) does not know: the app
 * shows that as an unknown view rather than silently showing another.
 *
 * The selection shared by the views is typed here; a view's own settings
 * (the layer Activations shows, ...) are kept in `own` under keys the view
 * names, so this module knows no view.
 */
import {ColormapChoice, isColormapName} from './colormap';
import {ScaleMode} from './scale';

export type Correctness = 'all' | 'correct' | 'incorrect';

/** The view shown when the state names none (views.ts registers it first). */
export const DEFAULT_VIEW = 'browse';

/** Longest view id kept from a URL (registered ids are short words). */
const MAX_VIEW_ID = 40;
/** What a view's own setting may be in a URL: a short lowercase key and a value of at most 500 characters, at most 16 of them. */
const OWN_KEY = /^[a-z][a-z0-9_]{0,15}$/;
const MAX_OWN_VALUE = 500;
const MAX_OWN = 16;

export interface UiState {
  /** Id of a registered view (views.ts), or an unknown one as the URL gave it. */
  view: string;
  /** Selected runs; null means "all runs that match the filter". */
  runs: string[] | null;
  runFilter: string;
  /** Explanation method; '' = first available. */
  method: string;
  /** Explanation layer; '' = first available. */
  layer: string;
  /** Explained class id to show; null = all. */
  classId: number | null;
  /** Label of the samples to show; null = all. */
  label: number | null;
  correctness: Correctness;
  /** Selected step; null = latest. */
  step: number | null;
  opacity: number;
  colormap: ColormapChoice;
  scale: ScaleMode;
  /** Probe sample of the views of one sample (Over epochs, Text, Activations), shared so it follows from one to the next. */
  sample: number;
  /** Whether a segmentation target's region is shown with the maps that explain it. */
  mask: boolean;
  /** The views' own settings, by the key each view names (`render/view.ts` `ownValue`), as strings. */
  own: Readonly<Record<string, string>>;
}

export const DEFAULT_STATE: Readonly<UiState> = Object.freeze({
  view: DEFAULT_VIEW,
  runs: null,
  runFilter: '',
  method: '',
  layer: '',
  classId: null,
  label: null,
  correctness: 'all',
  step: null,
  opacity: 0.6,
  colormap: 'auto',
  scale: 'map',
  sample: 0,
  mask: true,
  own: Object.freeze({}),
});

/** A copy of the defaults. */
export function defaultState(): UiState {
  return {...DEFAULT_STATE, runs: null, own: {}};
}

/** Returns a new state with `patch` applied (the input is not modified). */
export function update(state: UiState, patch: Partial<UiState>): UiState {
  return {...state, ...patch};
}

function intOrNull(s: string | null): number | null {
  if (s === null || s === '' || !/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** Serialises a state into a URL-hash-safe query string (only non-default keys). */
export function encodeState(state: UiState): string {
  const p = new URLSearchParams();
  const d = DEFAULT_STATE;
  if (state.view !== d.view) p.set('view', state.view);
  if (state.runs !== null) p.set('runs', JSON.stringify(state.runs));
  if (state.runFilter) p.set('rf', state.runFilter);
  if (state.method) p.set('m', state.method);
  if (state.layer) p.set('l', state.layer);
  if (state.classId !== null) p.set('c', String(state.classId));
  if (state.label !== null) p.set('lab', String(state.label));
  if (state.correctness !== d.correctness) p.set('ok', state.correctness);
  if (state.step !== null) p.set('s', String(state.step));
  if (state.opacity !== d.opacity) p.set('op', String(state.opacity));
  if (state.colormap !== d.colormap) p.set('cm', state.colormap);
  if (state.scale !== d.scale) p.set('sc', state.scale);
  if (state.sample !== d.sample) p.set('smp', String(state.sample));
  if (state.mask !== d.mask) p.set('mk', state.mask ? '1' : '0');
  for (const [key, value] of Object.entries(state.own)) if (isOwn(key, value) && value) p.set(key, value);
  return p.toString();
}

/** The URL keys of the shared selection (anything else is a view's own setting). */
const SHARED_KEYS = new Set(['view', 'runs', 'rf', 'm', 'l', 'c', 'lab', 'ok', 's', 'op', 'cm', 'sc', 'smp', 'mk']);

function isOwn(key: string, value: string): boolean {
  return !SHARED_KEYS.has(key) && OWN_KEY.test(key) && value.length <= MAX_OWN_VALUE;
}

/** Parses `encodeState` output (with or without a leading '#'); never throws. */
export function decodeState(text: string): UiState {
  const s = defaultState();
  const p = new URLSearchParams(text.startsWith('#') ? text.slice(1) : text);
  const view = p.get('view');
  if (view && view.length <= MAX_VIEW_ID) s.view = view;
  const runs = p.get('runs');
  if (runs !== null) {
    try {
      const parsed: unknown = JSON.parse(runs);
      if (Array.isArray(parsed) && parsed.every((r) => typeof r === 'string')) s.runs = parsed as string[];
    } catch {
      // keep default
    }
  }
  s.runFilter = p.get('rf') ?? '';
  s.method = p.get('m') ?? '';
  s.layer = p.get('l') ?? '';
  s.classId = intOrNull(p.get('c'));
  s.label = intOrNull(p.get('lab'));
  const ok = p.get('ok');
  if (ok === 'correct' || ok === 'incorrect') s.correctness = ok;
  s.step = intOrNull(p.get('s'));
  const op = Number(p.get('op'));
  if (p.has('op') && Number.isFinite(op) && op >= 0 && op <= 1) s.opacity = op;
  const cm = p.get('cm');
  if (cm && (cm === 'auto' || isColormapName(cm))) s.colormap = cm;
  const sc = p.get('sc');
  if (sc === 'shared' || sc === 'map') s.scale = sc;
  const smp = intOrNull(p.get('smp'));
  if (smp !== null && smp >= 0) s.sample = smp;
  const mk = p.get('mk');
  if (mk === '0' || mk === '1') s.mask = mk === '1';
  const own: Record<string, string> = {};
  for (const [key, value] of p) if (isOwn(key, value) && Object.keys(own).length < MAX_OWN) own[key] = value;
  s.own = own;
  return s;
}

const STORAGE_KEY = 'tbexplain.state.v1';

/** Minimal storage interface (localStorage or a test double). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Loads the state: the URL hash wins, then storage, then defaults. Never throws. */
export function loadState(hash: string, store: KeyValueStore | null): UiState {
  if (hash && hash !== '#') return decodeState(hash);
  try {
    const saved = store?.getItem(STORAGE_KEY);
    if (saved) return decodeState(saved);
  } catch {
    // storage unavailable (privacy mode, sandbox)
  }
  return defaultState();
}

/** Saves the state into storage; returns the encoded string for the URL hash. */
export function saveState(state: UiState, store: KeyValueStore | null): string {
  const text = encodeState(state);
  try {
    store?.setItem(STORAGE_KEY, text);
  } catch {
    // ignore quota / sandbox errors
  }
  return text;
}
