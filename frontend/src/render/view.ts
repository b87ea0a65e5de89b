/**
 * The view contract: what every view gets from the app (`Ctx`), what a view
 * is (`ViewImpl`), and what a layout draws one manifest row with
 * (`LayoutView`, registered in `layouts/index.ts`); and the accessors of a
 * view's own settings.
 */
import type {Api, StepEntry, TagsResponse} from '../api';
import type {ImageCache} from '../images';
import type {Lazy} from '../lazy';
import type {Series} from '../model';
import type {UiState} from '../state';
import type {HeatSource, HoverSink, Look} from './cell';

/** What the large view (a dialog) shows: a heatmap over its input, or an image as it is. */
export interface LargeView {
  title: string;
  lines: string[];
  src?: HeatSource;
  look?: Look;
  bitmap?: ImageBitmap;
  /** File name of the downloads, without extension (run, tag, step, sample). */
  file: string;
  /** The frame shown first, for a tile of several frames. */
  frame?: number;
}

export interface Ctx {
  api: Api;
  images: ImageCache;
  tags: TagsResponse;
  state: UiState;
  /** All run names, sorted. */
  allRuns: string[];
  /** Runs selected and matching the filter. */
  runs: string[];
  hover: HoverSink;
  set(patch: Partial<UiState>): void;
  openLarge(view: LargeView): void;
  /**
   * Where a view registers its parts (series blocks, filmstrip frames): each
   * loads when it comes near the screen, the first screenful before the view
   * is shown.
   */
  lazy: Lazy;
  /** Tells the app that a series' steps arrived (the slider and the class options may grow). */
  loaded(): void;
  /** The width (px) the view's blocks are laid out in, for placeholders. */
  width: number;
}

/**
 * A view: the series whose steps its slider offers, and its content at one
 * step (null: each series' latest), built at once with placeholders that
 * `ctx.lazy` fills as they come near the screen. A view keeps its own
 * settings in `UiState.own`, under keys it names (`ownValue`).
 */
export interface ViewImpl {
  series(ctx: Ctx): Series[];
  render(ctx: Ctx, step: number | null): Promise<HTMLElement>;
}

/** A part of a view built at once and painted by `load` (e.g. one map of a sample). */
export interface Part {
  el: HTMLElement;
  /** Loads and paints the part (called once); never rejects: what cannot load is marked so. */
  load(): Promise<void>;
  /** Shows another frame of a tile of several frames (absent where a part has none). */
  setFrame?: (k: number) => void;
}

/** One manifest row to draw: row `i` of `entry` of series `s`, described by `lines`. */
export interface Row {
  s: Series;
  entry: StepEntry;
  i: number;
  lines: string[];
  /** The lines of its caption when not all of `lines` (e.g. a filmstrip frame's). */
  caption?: string[];
  /** The verdict the caption is coloured by (null: none). */
  correct: boolean | null;
}

/** How rows of one layout are drawn, alike in Browse, Over epochs and Compare. */
export interface LayoutView {
  /** The part showing `row` with `look`. */
  part(ctx: Ctx, row: Row, look: Look): Part;
  /**
   * What a block of `parts` shows above them for the rows of `entries` of
   * this layout (a frame slider moving every part); null for nothing.
   */
  controls?(entries: readonly StepEntry[], parts: readonly Part[]): HTMLElement | null;
}

/** The value a view keeps under `key` in the state (`fallback` when none). */
export function ownValue(ctx: Ctx, key: string, fallback = ''): string {
  return ctx.state.own[key] ?? fallback;
}

/** Sets the value a view keeps under `key` in the state. */
export function setOwnValue(ctx: Ctx, key: string, value: string): void {
  ctx.set({own: {...ctx.state.own, [key]: value}});
}
