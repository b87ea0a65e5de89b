/**
 * The tab's views, registered in one place: id (in the URL state), toolbar
 * label, module, and the series kinds it shows. State decoding, the toolbar
 * and the render cycle read this list; adding a view is one module and one
 * line here.
 */
import {activationsView, filtersView} from './render/activations';
import {compareView} from './render/compare';
import type {ViewImpl} from './render/context';
import {filmstripView} from './render/filmstrip';
import {gridView} from './render/grid';
import {pipelineView} from './render/pipeline';

export interface ViewSpec {
  id: string;
  label: string;
  impl: ViewImpl;
  /** Series kinds (`/tags` `kind`) the view shows; it has nothing to show without one of them. */
  needs: readonly string[];
}

export const VIEWS: readonly ViewSpec[] = Object.freeze([
  {id: 'browse', label: 'Browse', impl: gridView, needs: ['explanation']},
  {id: 'epochs', label: 'Over epochs', impl: filmstripView, needs: ['explanation']},
  {id: 'compare', label: 'Compare runs', impl: compareView, needs: ['explanation']},
  {id: 'activations', label: 'Activations', impl: activationsView, needs: ['activations']},
  {id: 'filters', label: 'Filters', impl: filtersView, needs: ['filters']},
  {id: 'pipeline', label: 'Pipeline', impl: pipelineView, needs: ['inputs']},
]);

/** The view shown when the state names none: the first registered. */
export const DEFAULT_VIEW = VIEWS[0].id;

/** The registered view `id`; undefined for an unknown id (which the app shows as such). */
export function viewSpec(id: string): ViewSpec | undefined {
  return VIEWS.find((v) => v.id === id);
}

/** Whether a view has something to show given the series kinds present in the selected runs. */
export function hasData(spec: ViewSpec, kinds: ReadonlySet<string>): boolean {
  return spec.needs.some((k) => kinds.has(k));
}
