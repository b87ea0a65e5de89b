/**
 * The tab's views, registered in one place: id (in the URL state), toolbar
 * label, module, and the series kinds it shows. State decoding, the toolbar
 * and the render cycle read this list; adding a view is one module and one
 * line here.
 */
import {activationsView, filtersView} from './render/activations';
import {compareView} from './render/compare';
import type {ViewImpl} from './render/view';
import {featuresView} from './render/features';
import {filmstripView} from './render/filmstrip';
import {gridView} from './render/grid';
import {pipelineView} from './render/pipeline';
import {textView} from './render/text';
import {DEFAULT_VIEW} from './state';

export interface ViewSpec {
  id: string;
  label: string;
  impl: ViewImpl;
  /**
   * What the view shows; it has nothing to show without one of them: series
   * kinds (`/tags` `kind`), or `kind:layout` for the series of one layout
   * (`explanation:tokens`), which also makes the method and layer facets
   * those of that layout's series.
   */
  needs: readonly string[];
}

export const VIEWS: readonly ViewSpec[] = Object.freeze([
  {id: 'browse', label: 'Browse', impl: gridView, needs: ['explanation']},
  {id: 'epochs', label: 'Over epochs', impl: filmstripView, needs: ['explanation']},
  {id: 'compare', label: 'Compare runs', impl: compareView, needs: ['explanation']},
  {id: 'text', label: 'Text', impl: textView, needs: ['explanation:tokens']},
  {id: 'features', label: 'Features', impl: featuresView, needs: ['explanation:features']},
  {id: 'activations', label: 'Activations', impl: activationsView, needs: ['activations']},
  {id: 'filters', label: 'Filters', impl: filtersView, needs: ['filters']},
  {id: 'pipeline', label: 'Pipeline', impl: pipelineView, needs: ['inputs']},
]);

/** The view shown when the state names none (`state.ts`), registered first. */
export {DEFAULT_VIEW};

/** The registered view `id`; undefined for an unknown id (which the app shows as such). */
export function viewSpec(id: string): ViewSpec | undefined {
  return VIEWS.find((v) => v.id === id);
}

/**
 * Whether a view has something to show given what the selected runs hold:
 * each series' kind and its `kind:layout`.
 */
export function hasData(spec: ViewSpec, present: ReadonlySet<string>): boolean {
  return spec.needs.some((k) => present.has(k));
}

/** The explanation layouts a view shows (its facets are those series'); null: every layout. */
export function explanationLayouts(spec: ViewSpec | undefined): string[] | null {
  const layouts = (spec?.needs ?? []).flatMap((n) => (n.startsWith('explanation:') ? [n.slice('explanation:'.length)] : []));
  return layouts.length ? layouts : null;
}

/** What a view needs, in words (`explanation:tokens` -> "tokens explanation"). */
export function needsText(spec: ViewSpec): string {
  return spec.needs.map((n) => n.split(':').reverse().join(' ')).join(' or ');
}
