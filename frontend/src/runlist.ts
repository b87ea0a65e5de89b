/**
 * The run selector: a regex filter, all / none / select all matching, one
 * checkbox per run with its colour. At most `RUN_LIST_MAX` rows are rendered
 * (a note says how many more match), so a sweep of any size stays quick.
 */
import {h, replaceChildren} from './dom';
import {activeRuns, filterRuns, runColor, selectMatching, toggleRun} from './model';

export const RUN_LIST_MAX = 200;

export interface RunSelection {
  runs: string[] | null;
  runFilter: string;
}

/** The sidebar's run section; `update` redraws it from the current runs and selection. */
export class RunList {
  readonly element: HTMLElement;
  private readonly filter = h('input', {
    attrs: {type: 'search', id: 'run-filter', placeholder: 'Filter runs (regex)', 'aria-label': 'Filter runs (regex)'},
  });
  private readonly list = h('ul', {className: 'runs', attrs: {id: 'run-list', 'aria-label': 'Runs'}});
  private readonly count = h('span', {className: 'muted', attrs: {id: 'run-count', 'aria-live': 'polite'}});
  private all: string[] = [];
  private current: RunSelection = {runs: null, runFilter: ''};

  constructor(private readonly onChange: (patch: Partial<RunSelection>) => void) {
    this.filter.addEventListener('input', () => this.onChange({runFilter: this.filter.value}));
    const btn = (id: string, text: string, title: string, fn: () => void) => {
      const b = h('button', {attrs: {type: 'button', id, title}}, text);
      b.addEventListener('click', fn);
      return b;
    };
    const buttons = h(
      'div',
      {className: 'row'},
      btn('runs-all', 'All', 'Select every run', () => this.onChange({runs: null})),
      ' ',
      btn('runs-none', 'None', 'Select no run', () => this.onChange({runs: []})),
      ' ',
      btn('runs-matching', 'Select matching', 'Add every run matching the filter to the selection', () =>
        this.onChange({runs: selectMatching(this.all, this.current.runs, this.current.runFilter)}),
      ),
    );
    this.element = h('div', {className: 'run-section'}, h('h2', {}, 'Runs ', this.count), this.filter, buttons, this.list);
  }

  update(all: string[], sel: RunSelection): void {
    this.all = all;
    this.current = sel;
    if (this.filter.value !== sel.runFilter) this.filter.value = sel.runFilter;
    const visible = filterRuns(all, sel.runFilter);
    const active = new Set(activeRuns(all, sel.runs, sel.runFilter));
    this.count.textContent = `${active.size} of ${all.length}`;
    replaceChildren(this.list);
    for (const run of visible.slice(0, RUN_LIST_MAX)) {
      const box = h('input', {attrs: {type: 'checkbox', 'data-run': run}});
      box.checked = active.has(run);
      box.addEventListener('change', () => this.onChange({runs: toggleRun(this.all, this.current.runs, run, box.checked)}));
      this.list.appendChild(
        h('li', {}, h('label', {}, box, h('span', {className: 'swatch', style: {background: runColor(run, all)}}), h('span', {className: 'run-name'}, run))),
      );
    }
    if (visible.length > RUN_LIST_MAX) {
      this.list.appendChild(h('li', {className: 'muted', attrs: {id: 'runs-more'}}, `and ${visible.length - RUN_LIST_MAX} more matching runs: refine the filter to see them`));
    }
    if (visible.length === 0) this.list.appendChild(h('li', {className: 'muted'}, all.length ? 'No run matches the filter.' : 'No runs yet.'));
  }
}
