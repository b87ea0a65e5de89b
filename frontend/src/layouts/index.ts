/**
 * The layouts registry: how the rows of each layout (`/steps` `layout`) are
 * drawn, one module each, looked up here by Browse, Over epochs and Compare
 * alike. A new layout is one module and one line here.
 */
import type {StepEntry} from '../api';
import type {Look} from '../render/cell';
import type {Ctx, LayoutView, Part, Row} from '../render/view';
import {loadingPart} from '../render/widgets';
import {featuresLayout} from './features';
import {imageLayout} from './image';
import {sequenceLayout} from './sequence';
import {tokensLayout} from './tokens';
import {volumeLayout} from './volume';

const LAYOUT_VIEWS: ReadonlyMap<string, LayoutView> = new Map([
  ['image', imageLayout],
  ['sequence', sequenceLayout],
  ['tokens', tokensLayout],
  ['features', featuresLayout],
  ['volume', volumeLayout],
]);

/** The layouts this tab draws (`metadata.LAYOUTS`). */
export const LAYOUT_NAMES: readonly string[] = Object.freeze([...LAYOUT_VIEWS.keys()]);

/** The part drawing `row` by its step's layout; a layout this tab does not know is said in the cell, not guessed. */
export function rowPart(ctx: Ctx, row: Row, look: Look): Part {
  const layout = LAYOUT_VIEWS.get(row.entry.layout);
  if (layout) return layout.part(ctx, row, look);
  return loadingPart('unknown', row.i, row.caption ?? row.lines, row.correct, () =>
    Promise.reject(new Error(`this tab does not draw rows of layout "${row.entry.layout}"`)),
  );
}

/** The controls above a block of `parts` showing rows of `entries`: each layout's (a frame slider), in layout order. */
export function blockControls(entries: readonly StepEntry[], parts: readonly Part[]): HTMLElement[] {
  return [...LAYOUT_VIEWS].flatMap(([name, layout]) => {
    const mine = entries.filter((e) => e.layout === name);
    const el = mine.length && layout.controls ? layout.controls(mine, parts) : null;
    return el ? [el] : [];
  });
}
