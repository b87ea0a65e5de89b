/** The tab: sidebar (runs, facets, display), toolbar (views, reload), step bar and the view. */
import {Api, TagsResponse} from './api';
import {COLORMAPS} from './colormap';
import {h, replaceChildren, select} from './dom';
import {connectHost} from './host';
import {ImageCache} from './images';
import {activeRuns, classOptions, facets, filterRuns, runColor, seriesOfKind, snapStep, stepNeighbour} from './model';
import {paintHeat, valueAt} from './render/cell';
import {formatValue} from './scale';
import {Ctx, LargeView, ViewImpl} from './render/context';
import {explainData} from './render/explain';
import {activationsView, filtersView} from './render/activations';
import {compareView} from './render/compare';
import {filmstripView} from './render/filmstrip';
import {gridView} from './render/grid';
import {pipelineView} from './render/pipeline';
import {loadState, saveState, UiState, update, View} from './state';
import {CSS} from './style';
import {watchTheme} from './theme';

const VIEW_LABELS: Record<View, string> = {
  browse: 'Browse',
  epochs: 'Over epochs',
  compare: 'Compare runs',
  activations: 'Activations',
  filters: 'Filters',
  pipeline: 'Pipeline',
};

const POLL_MS = 30_000;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export class App {
  private state: UiState;
  private tags: TagsResponse | null = null;
  private readonly api = new Api();
  private readonly images = new ImageCache();
  private readonly views = new Map<View, ViewImpl>();
  private gen = 0;
  private steps: number[] = [];
  private playTimer: number | null = null;
  private firstPaint = true;
  private tagsVersion = 0;
  private sidebarKey = '';

  private readonly sidebar = h('aside', {className: 'sidebar', attrs: {'aria-label': 'Selection'}});
  private readonly runList = h('ul', {className: 'runs', attrs: {id: 'run-list', 'aria-label': 'Runs'}});
  private readonly facetBox = h('div', {attrs: {id: 'facets'}});
  private readonly toolbar = h('div', {className: 'toolbar', attrs: {role: 'toolbar', 'aria-label': 'Views'}});
  private readonly slider = h('input', {attrs: {type: 'range', id: 'step-slider', min: 0, max: 0, value: 0, 'aria-label': 'Step'}});
  private readonly stepText = h('span', {className: 'step-label', attrs: {id: 'step-value', 'aria-live': 'polite'}});
  private readonly playButton = h('button', {attrs: {type: 'button', id: 'play', 'aria-pressed': 'false'}}, 'Play');
  private readonly content = h('div', {className: 'content', attrs: {id: 'view', 'data-state': 'loading', 'data-testid': 'view'}});
  private readonly tooltip = h('div', {className: 'tooltip', attrs: {id: 'hover-value', role: 'status', hidden: true}});
  private readonly status = h('span', {className: 'muted', attrs: {id: 'status'}});

  constructor(private readonly root: HTMLElement) {
    this.state = loadState(window.location.hash, storage());
    this.views.set('browse', gridView);
    this.views.set('epochs', filmstripView);
    this.views.set('compare', compareView);
    this.views.set('activations', activationsView);
    this.views.set('filters', filtersView);
    this.views.set('pipeline', pipelineView);
  }

  start(): void {
    document.head.appendChild(h('style', {}, CSS));
    watchTheme((dark) => document.documentElement.classList.toggle('dark', dark));
    this.buildLayout();
    connectHost(() => void this.reload());
    window.setInterval(() => {
      if (document.visibilityState === 'visible') void this.reload();
    }, POLL_MS);
    document.addEventListener('keydown', (ev) => this.onKey(ev));
    void this.reload();
  }

  // ---- state --------------------------------------------------------------

  private set(patch: Partial<UiState>): void {
    this.state = update(this.state, patch);
    const text = saveState(this.state, storage());
    try {
      // Absolute URL: a relative '#...' would resolve against <base href="plugin/tbexplain/">.
      const url = new URL(window.location.href);
      url.hash = text;
      history.replaceState(null, '', url.href);
    } catch {
      // ignore (sandboxed)
    }
    this.syncStaticControls();
    void this.refresh();
  }

  private allRuns(): string[] {
    return Object.keys(this.tags?.runs ?? {}).sort();
  }

  // ---- layout -------------------------------------------------------------

  private buildLayout(): void {
    const filter = h('input', {
      attrs: {type: 'search', id: 'run-filter', placeholder: 'Filter runs (regex)', 'aria-label': 'Filter runs (regex)'},
    });
    filter.value = this.state.runFilter;
    filter.addEventListener('input', () => this.set({runFilter: filter.value}));
    const allBtn = h('button', {attrs: {type: 'button', id: 'runs-all'}}, 'All');
    allBtn.addEventListener('click', () => this.set({runs: null}));
    const noneBtn = h('button', {attrs: {type: 'button', id: 'runs-none'}}, 'None');
    noneBtn.addEventListener('click', () => this.set({runs: []}));

    const opacity = h('input', {attrs: {type: 'range', id: 'opacity', min: 0, max: 1, step: 0.05}});
    opacity.value = String(this.state.opacity);
    opacity.addEventListener('input', () => this.set({opacity: Number(opacity.value)}));

    replaceChildren(
      this.sidebar,
      h('h2', {}, 'Runs'),
      filter,
      h('div', {className: 'row'}, allBtn, ' ', noneBtn),
      this.runList,
      h('h2', {}, 'Explanations'),
      this.facetBox,
      h('h2', {}, 'Display'),
      h('label', {className: 'field', attrs: {for: 'opacity'}}, h('span', {className: 'field-label'}, 'Opacity'), opacity),
      select(
        'Colormap',
        [{value: 'auto', text: 'auto (viridis / diverging if signed)'}, ...COLORMAPS.map((c) => ({value: c.name, text: c.label}))],
        this.state.colormap,
        (v) => this.set({colormap: v as UiState['colormap']}),
        'colormap',
      ),
      select(
        'Scale',
        [
          {value: 'map', text: 'per map (own min/max)'},
          {value: 'shared', text: 'shared across steps and runs'},
        ],
        this.state.scale,
        (v) => this.set({scale: v === 'shared' ? 'shared' : 'map'}),
        'scale',
      ),
    );

    for (const v of Object.keys(VIEW_LABELS) as View[]) {
      const b = h('button', {attrs: {type: 'button', 'data-view': v, 'aria-pressed': 'false'}}, VIEW_LABELS[v]);
      b.addEventListener('click', () => this.set({view: v}));
      this.toolbar.appendChild(b);
    }
    const reload = h('button', {attrs: {type: 'button', id: 'reload', title: 'Reload data'}}, 'Reload');
    reload.addEventListener('click', () => void this.reload());
    this.toolbar.append(h('span', {style: {flex: '1'}}), this.status, reload);

    this.slider.addEventListener('input', () => {
      const i = Number(this.slider.value);
      this.set({step: i >= this.steps.length - 1 ? null : this.steps[i] ?? null});
    });
    this.playButton.addEventListener('click', () => this.togglePlay());
    const prev = h('button', {attrs: {type: 'button', id: 'step-prev', 'aria-label': 'Previous step'}}, '◀');
    prev.addEventListener('click', () => this.moveStep(-1));
    const next = h('button', {attrs: {type: 'button', id: 'step-next', 'aria-label': 'Next step'}}, '▶');
    next.addEventListener('click', () => this.moveStep(1));
    const stepbar = h('div', {className: 'stepbar'}, h('label', {attrs: {for: 'step-slider'}}, 'Step'), prev, this.slider, next, this.stepText, this.playButton);

    const main = h('div', {className: 'main'}, this.toolbar, stepbar, this.content);
    replaceChildren(this.root, h('div', {className: 'app'}, this.sidebar, main), this.tooltip);
    this.syncStaticControls();
  }

  private syncStaticControls(): void {
    for (const b of this.toolbar.querySelectorAll<HTMLButtonElement>('button[data-view]')) {
      b.setAttribute('aria-pressed', String(b.dataset.view === this.state.view));
    }
    for (const [id, value] of [
      ['colormap', this.state.colormap],
      ['scale', this.state.scale],
    ] as const) {
      const el = this.sidebar.querySelector<HTMLSelectElement>(`#${id}`);
      if (el && el.value !== value) el.value = value;
    }
  }

  private buildRunList(): void {
    const all = this.allRuns();
    const visible = filterRuns(all, this.state.runFilter);
    const active = new Set(activeRuns(all, this.state.runs, this.state.runFilter));
    replaceChildren(this.runList);
    for (const run of visible) {
      const box = h('input', {attrs: {type: 'checkbox', 'data-run': run}});
      box.checked = active.has(run);
      box.addEventListener('change', () => {
        const current = new Set(this.state.runs ?? all);
        if (box.checked) current.add(run);
        else current.delete(run);
        this.set({runs: all.filter((r) => current.has(r))});
      });
      this.runList.appendChild(
        h('li', {}, h('label', {}, box, h('span', {className: 'swatch', style: {background: runColor(run, all)}}), h('span', {className: 'run-name'}, run))),
      );
    }
    if (visible.length === 0) this.runList.appendChild(h('li', {className: 'muted'}, all.length ? 'No run matches the filter.' : 'No runs yet.'));
    for (const s of this.tags?.skipped ?? []) {
      this.runList.appendChild(h('li', {className: 'skipped'}, `skipped ${s.run} / ${s.tag}: ${s.reason}`));
    }
  }

  private async buildFacets(ctx: Ctx): Promise<void> {
    const all = seriesOfKind(ctx.tags, ctx.runs, 'explanation');
    const f = facets(all, this.state.method, this.state.layer);
    const data = await explainData(ctx);
    const manifests = data.entries.flat().map((e) => e.manifest.items);
    const classes = classOptions(manifests, 'class');
    const labels = classOptions(manifests, 'label');
    replaceChildren(
      this.facetBox,
      select('Method', f.methods.map((m) => ({value: m, text: m || '(none)'})), f.method, (v) => this.set({method: v, layer: ''}), 'method'),
      select('Layer', f.layers.map((l) => ({value: l, text: l || '(input space)'})), f.layer, (v) => this.set({layer: v}), 'layer'),
      select(
        'Class explained',
        [{value: '', text: 'all classes'}, ...classes.map((c) => ({value: String(c.id), text: c.name}))],
        this.state.classId === null ? '' : String(this.state.classId),
        (v) => this.set({classId: v === '' ? null : Number(v)}),
        'class-filter',
      ),
      select(
        'Label',
        [{value: '', text: 'all labels'}, ...labels.map((c) => ({value: String(c.id), text: c.name}))],
        this.state.label === null ? '' : String(this.state.label),
        (v) => this.set({label: v === '' ? null : Number(v)}),
        'label-filter',
      ),
      select(
        'Prediction',
        [
          {value: 'all', text: 'correct and incorrect'},
          {value: 'correct', text: 'correct only'},
          {value: 'incorrect', text: 'incorrect only'},
        ],
        this.state.correctness,
        (v) => this.set({correctness: v === 'correct' || v === 'incorrect' ? v : 'all'}),
        'correctness',
      ),
    );
  }

  // ---- data and rendering -------------------------------------------------

  /** Refetches tags (and marks series stale), keeping the selection. */
  async reload(): Promise<void> {
    try {
      this.api.invalidate();
      this.tags = await this.api.tags();
      this.tagsVersion++;
      this.status.textContent = '';
    } catch (e) {
      this.status.textContent = `reload failed: ${(e as Error).message}`;
      if (!this.tags) {
        this.content.dataset.state = 'error';
        replaceChildren(this.content, h('div', {className: 'error'}, (e as Error).message));
        return;
      }
    }
    await this.refresh();
  }

  private makeCtx(tags: TagsResponse): Ctx {
    const allRuns = this.allRuns();
    return {
      api: this.api,
      images: this.images,
      tags,
      state: this.state,
      allRuns,
      runs: activeRuns(allRuns, this.state.runs, this.state.runFilter),
      hover: {
        show: (text, ev) => {
          this.tooltip.textContent = text;
          this.tooltip.hidden = false;
          this.tooltip.style.left = `${ev.clientX + 12}px`;
          this.tooltip.style.top = `${ev.clientY + 12}px`;
        },
        hide: () => {
          this.tooltip.hidden = true;
        },
      },
      set: (patch) => this.set(patch),
      openLarge: (v) => this.openLarge(v),
      eager: this.screenful(),
      pending: [],
    };
  }

  /** About how many cells fit in the view (plus a row); 24 while the tab is hidden. */
  private screenful(): number {
    const w = this.content.clientWidth;
    const hgt = this.content.clientHeight;
    if (w === 0 || hgt === 0) return 24;
    const cols = Math.max(1, Math.floor((w - 20) / 156));
    const rows = Math.ceil(hgt / 220);
    return cols * rows;
  }

  private async refresh(): Promise<void> {
    const gen = ++this.gen;
    const tags = this.tags;
    if (!tags) return;
    const view = this.views.get(this.state.view) ?? gridView;
    this.content.dataset.state = 'loading';
    this.content.dataset.complete = 'false';
    this.content.dataset.view = this.state.view;
    try {
      const ctx = this.makeCtx(tags);
      const st = this.state;
      const sidebarKey = JSON.stringify([this.tagsVersion, st.runs, st.runFilter, st.method, st.layer, st.classId, st.label, st.correctness]);
      if (sidebarKey !== this.sidebarKey) {
        // Rebuilt only when its inputs change (not on step / display changes); focus is kept.
        const focused = document.activeElement?.id;
        this.buildRunList();
        await this.buildFacets(ctx);
        if (gen !== this.gen) return;
        this.sidebarKey = sidebarKey;
        if (focused) document.getElementById(focused)?.focus();
      }
      const steps = await view.steps(ctx);
      if (gen !== this.gen) return;
      this.steps = steps;
      const step = snapStep(steps, this.state.step);
      this.slider.max = String(Math.max(0, steps.length - 1));
      this.slider.value = String(step === null ? 0 : steps.indexOf(step));
      this.slider.disabled = steps.length <= 1;
      this.slider.setAttribute('aria-valuetext', step === null ? 'no steps' : `step ${step}`);
      this.stepText.textContent = step === null ? 'no steps' : `${step} (${steps.indexOf(step) + 1} of ${steps.length})${this.state.step === null ? ', latest' : ''}`;
      const el = await view.render(ctx, step);
      if (gen !== this.gen) return;
      const focusedInView = this.content.contains(document.activeElement) ? document.activeElement?.id : undefined;
      const {scrollTop, scrollLeft} = this.content;
      replaceChildren(this.content, el);
      this.content.scrollTop = scrollTop;
      this.content.scrollLeft = scrollLeft;
      if (focusedInView) document.getElementById(focusedInView)?.focus();
      // Keep the current frame of each filmstrip in view (centred) as the step moves.
      for (const strip of el.querySelectorAll<HTMLElement>('.filmstrip')) {
        const cur = strip.querySelector<HTMLElement>('.current');
        if (cur) strip.scrollLeft = cur.offsetLeft - (strip.clientWidth - cur.clientWidth) / 2;
      }
      this.content.dataset.step = step === null ? '' : String(step);
      this.content.dataset.steps = String(steps.length);
      this.content.dataset.state = 'ready';
      const first = this.firstPaint;
      this.content.dataset.complete = 'false';
      void Promise.allSettled(ctx.pending).then(() => {
        if (gen !== this.gen) return;
        this.content.dataset.complete = 'true';
        if (first) requestAnimationFrame(() => performance.mark('tbexplain-first-complete'));
      });
      if (this.firstPaint) {
        this.firstPaint = false;
        // Marked on the next frame, i.e. once the grid has been painted (benchmarks/ui.py).
        requestAnimationFrame(() => performance.mark('tbexplain-first-paint'));
      }
    } catch (e) {
      if (gen !== this.gen) return;
      this.content.dataset.state = 'error';
      replaceChildren(this.content, h('div', {className: 'error', attrs: {role: 'alert'}}, (e as Error).message));
    }
  }

  // ---- interaction --------------------------------------------------------

  private moveStep(delta: number): void {
    const s = stepNeighbour(this.steps, this.state.step, delta);
    if (s === null) return;
    this.set({step: s === this.steps[this.steps.length - 1] ? null : s});
  }

  private togglePlay(): void {
    if (this.playTimer !== null) {
      window.clearInterval(this.playTimer);
      this.playTimer = null;
      this.playButton.textContent = 'Play';
      this.playButton.setAttribute('aria-pressed', 'false');
      return;
    }
    this.playButton.textContent = 'Pause';
    this.playButton.setAttribute('aria-pressed', 'true');
    if (this.state.step === null && this.steps.length > 1) this.set({step: this.steps[0]});
    this.playTimer = window.setInterval(() => {
      const last = this.steps[this.steps.length - 1];
      const cur = snapStep(this.steps, this.state.step);
      if (cur === null) return;
      this.set({step: cur === last ? this.steps[0] : stepNeighbour(this.steps, cur, 1)});
    }, 700);
  }

  private onKey(ev: KeyboardEvent): void {
    const t = ev.target as HTMLElement | null;
    if (ev.key === 'Escape') {
      document.querySelector('.modal')?.remove();
      return;
    }
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    if (ev.key === 'ArrowLeft') {
      ev.preventDefault();
      this.moveStep(-1);
    } else if (ev.key === 'ArrowRight') {
      ev.preventDefault();
      this.moveStep(1);
    }
  }

  private openLarge(v: LargeView): void {
    document.querySelector('.modal')?.remove();
    const close = h('button', {attrs: {type: 'button', id: 'large-close', 'aria-label': 'Close'}}, 'Close');
    let pic: HTMLElement;
    if (v.src && v.look) {
      const src = v.src;
      const canvas = h('canvas', {className: 'heat', attrs: {role: 'img', 'aria-label': v.title, id: 'large-canvas'}});
      paintHeat(canvas, src, v.look);
      pic = canvas;
    } else if (v.bitmap) {
      const canvas = h('canvas', {className: 'heat', attrs: {role: 'img', 'aria-label': v.title, id: 'large-canvas'}});
      canvas.width = v.bitmap.width;
      canvas.height = v.bitmap.height;
      canvas.getContext('2d')?.drawImage(v.bitmap, 0, 0);
      pic = canvas;
    } else {
      pic = h('div');
    }
    const box = h(
      'div',
      {className: 'modal-box'},
      pic,
      h('div', {}, h('div', {className: 'run-chip'}, v.title), ...v.lines.map((l) => h('div', {}, l)), h('p', {}, close)),
    );
    const modal = h('div', {className: 'modal', attrs: {role: 'dialog', 'aria-modal': 'true', 'aria-label': v.title}}, box);
    modal.addEventListener('click', (ev) => {
      if (ev.target === modal) modal.remove();
    });
    close.addEventListener('click', () => modal.remove());
    if (v.src && pic instanceof HTMLCanvasElement) {
      const src = v.src;
      const canvas = pic;
      const ctx = this.tags ? this.makeCtx(this.tags) : null;
      canvas.addEventListener('mousemove', (ev) => {
        const r = valueAt(canvas, src, ev);
        if (r && ctx) ctx.hover.show(`value ${formatValue(r.v)} at (${r.x}, ${r.y})`, ev);
        else ctx?.hover.hide();
      });
      canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    }
    document.body.appendChild(modal);
    close.focus();
  }
}
