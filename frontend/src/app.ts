/** The tab: sidebar (runs, facets, display), toolbar (views, reload), step bar and the view. */
import {Api, TagsResponse} from './api';
import {COLORMAPS} from './colormap';
import {h, replaceChildren, select} from './dom';
import {connectHost} from './host';
import {ImageCache} from './images';
import {Box, Lazy} from './lazy';
import {activeRuns, classOptions, distinct, facets, filterRuns, offeredSteps, Series, snapStep, stepNeighbour} from './model';
import type {Ctx} from './render/view';
import {note} from './render/widgets';
import {explainSeries, facetSeries} from './render/explain';
import {centreCurrent} from './render/filmstrip';
import {openLarge} from './render/large';
import {RunList} from './runlist';
import {loadState, saveState, UiState, update} from './state';
import {CSS} from './style';
import {watchTheme} from './theme';
import {explanationLayouts, hasData, needsText, viewSpec, VIEWS} from './views';

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
  private gen = 0;
  private steps: number[] = [];
  private playTimer: number | null = null;
  private firstPaint = true;
  private firstComplete = true;
  private tagsVersion = 0;
  private sidebarKey = '';
  private facetKey = '';
  private lazy: Lazy | null = null;
  /** The current render's context and the series its slider offers. */
  private shown: {ctx: Ctx; series: Series[]} | null = null;
  private loadedQueued = false;

  private readonly sidebar = h('aside', {className: 'sidebar', attrs: {'aria-label': 'Selection'}});
  private readonly runList = new RunList((patch) => this.set(patch));
  private readonly facetBox = h('div', {attrs: {id: 'facets'}});
  private readonly toolbar = h('div', {className: 'toolbar', attrs: {role: 'toolbar', 'aria-label': 'Views'}});
  private readonly slider = h('input', {attrs: {type: 'range', id: 'step-slider', min: 0, max: 0, value: 0, 'aria-label': 'Step'}});
  private readonly stepText = h('span', {className: 'step-label', attrs: {id: 'step-value', 'aria-live': 'polite'}});
  private readonly playButton = h('button', {attrs: {type: 'button', id: 'play', 'aria-pressed': 'false'}}, 'Play');
  /** Whether segmentation maps show their target region; enabled when a selected series has one. */
  private readonly maskBox = h('input', {attrs: {type: 'checkbox', id: 'show-mask'}});
  private readonly content = h('div', {className: 'content', attrs: {id: 'view', 'data-state': 'loading', 'data-testid': 'view'}});
  /** Where a view is laid out (hidden) while its first screenful loads, so the old one stays shown. */
  private readonly stage = h('div', {className: 'content stage', attrs: {'aria-hidden': 'true'}});
  private readonly tooltip = h('div', {className: 'tooltip', attrs: {id: 'hover-value', role: 'status', hidden: true}});
  private readonly status = h('span', {className: 'muted', attrs: {id: 'status'}});
  private readonly hover = {
    show: (text: string, ev: MouseEvent) => {
      this.tooltip.textContent = text;
      this.tooltip.hidden = false;
      this.tooltip.style.left = `${ev.clientX + 12}px`;
      this.tooltip.style.top = `${ev.clientY + 12}px`;
    },
    hide: () => {
      this.tooltip.hidden = true;
    },
  };

  constructor(private readonly root: HTMLElement) {
    this.state = loadState(window.location.hash, storage());
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
    const opacity = h('input', {attrs: {type: 'range', id: 'opacity', min: 0, max: 1, step: 0.05}});
    opacity.value = String(this.state.opacity);
    opacity.addEventListener('input', () => this.set({opacity: Number(opacity.value)}));
    const mask = this.maskBox;
    mask.checked = this.state.mask;
    mask.addEventListener('change', () => this.set({mask: mask.checked}));

    replaceChildren(
      this.sidebar,
      this.runList.element,
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
      h(
        'label',
        {className: 'check', attrs: {for: 'show-mask', title: 'Segmentation maps: the region of the class they explain; outside it the map is dimmed'}},
        mask,
        'Show the target region',
      ),
    );

    for (const v of VIEWS) {
      const b = h('button', {attrs: {type: 'button', 'data-view': v.id, 'aria-pressed': 'false'}}, v.label);
      b.addEventListener('click', () => this.set({view: v.id}));
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

    const main = h('div', {className: 'main'}, this.toolbar, stepbar, this.content, this.stage);
    replaceChildren(this.root, h('div', {className: 'app'}, this.sidebar, main), this.tooltip);
    this.syncStaticControls();
  }

  private syncStaticControls(): void {
    this.maskBox.checked = this.state.mask;
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

  /** Marks the view buttons (and the target region box) that have nothing to show in the selected runs. */
  private syncViewButtons(ctx: Ctx): void {
    const present = new Set<string>();
    let regions = false;
    for (const run of ctx.runs) {
      for (const info of Object.values(ctx.tags.runs[run] ?? {})) {
        present.add(info.kind);
        if (info.layout) present.add(`${info.kind}:${info.layout}`);
        regions ||= Boolean(info.mask_tag);
      }
    }
    this.maskBox.disabled = !regions;
    this.maskBox.parentElement?.classList.toggle('muted', !regions);
    for (const b of this.toolbar.querySelectorAll<HTMLButtonElement>('button[data-view]')) {
      const spec = viewSpec(b.dataset.view ?? '');
      const ok = !spec || hasData(spec, present);
      b.dataset.hasData = String(ok);
      b.title = ok || !spec ? '' : `No ${needsText(spec)} series in the selected runs`;
    }
  }

  /**
   * The method / layer facets (from /tags) and the class / label options
   * (from the manifests loaded so far; they grow as more series load).
   */
  private buildFacets(ctx: Ctx, force: boolean): void {
    const layouts = explanationLayouts(viewSpec(this.state.view));
    const f = facets(facetSeries(ctx.tags, ctx.runs, layouts), this.state.method, this.state.layer);
    const manifests = explainSeries(ctx, layouts).flatMap((s) => this.api.peekSeries(s.run, s.tag)?.steps.map((e) => e.manifest) ?? []);
    const items = manifests.map((m) => m.items);
    const classes = classOptions(items, 'class');
    const labels = classOptions(items, 'label');
    const targets = distinct(manifests.flatMap((m) => (m.target_name ? [m.target_name] : [])));
    const key = JSON.stringify([f, classes, labels, targets, this.state.classId, this.state.label, this.state.correctness]);
    if (!force && key === this.facetKey) return;
    this.facetKey = key;
    // A named (callable) target has no classes: it is the one thing explained.
    const classSelect =
      classes.length === 0 && targets.length > 0
        ? select('Target explained', targets.map((t) => ({value: '', text: t})), '', () => undefined, 'class-filter')
        : select(
            'Class explained',
            [{value: '', text: 'all classes'}, ...classes.map((c) => ({value: String(c.id), text: c.name})), ...targets.map((t) => ({value: '', text: t}))],
            this.state.classId === null ? '' : String(this.state.classId),
            (v) => this.set({classId: v === '' ? null : Number(v)}),
            'class-filter',
          );
    const focused = document.activeElement?.id;
    replaceChildren(
      this.facetBox,
      select('Method', f.methods.map((m) => ({value: m, text: m || '(none)'})), f.method, (v) => this.set({method: v, layer: ''}), 'method'),
      select('Layer', f.layers.map((l) => ({value: l, text: l || '(input space)'})), f.layer, (v) => this.set({layer: v}), 'layer'),
      classSelect,
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
    if (focused && this.facetBox.querySelector(`#${focused}`)) document.getElementById(focused)?.focus();
  }

  /** Notes of the series /tags could not read, for the runs the filter shows. */
  private skippedNotes(): HTMLElement | null {
    const skipped = this.tags?.skipped ?? [];
    const runs = new Set(filterRuns([...new Set(skipped.map((s) => s.run))], this.state.runFilter));
    const shown = skipped.filter((s) => runs.has(s.run) && (this.state.runs === null || this.state.runs.includes(s.run) || !this.tags?.runs[s.run]));
    if (shown.length === 0) return null;
    return h(
      'div',
      {className: 'notes', attrs: {id: 'skipped-series'}},
      ...shown.map((s) => note(`${s.run} / ${s.tag} could not be read: ${s.reason}`, {run: s.run, tag: s.tag})),
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

  private makeCtx(tags: TagsResponse, lazy: Lazy, gen: number): Ctx {
    const allRuns = this.allRuns();
    return {
      api: this.api,
      images: this.images,
      tags,
      state: this.state,
      allRuns,
      runs: activeRuns(allRuns, this.state.runs, this.state.runFilter),
      hover: this.hover,
      set: (patch) => this.set(patch),
      openLarge: (v) => openLarge(v, this.hover),
      lazy,
      loaded: () => {
        if (gen === this.gen) this.queueLoaded();
      },
      // The content's width less its padding (10 px each side); a hidden tab has none yet.
      width: Math.max(0, (this.content.clientWidth || window.innerWidth - 260) - 20),
    };
  }

  /** After some series arrived: the slider and the class options take them in (once per frame). */
  private queueLoaded(): void {
    if (this.loadedQueued) return;
    this.loadedQueued = true;
    queueMicrotask(() => {
      this.loadedQueued = false;
      if (!this.shown) return;
      this.showSteps(this.shown.series);
      this.buildFacets(this.shown.ctx, false);
    });
  }

  /** The slider and step text for the steps offered by `series` (loaded steps plus /tags facts). */
  private showSteps(series: readonly Series[]): number | null {
    const steps = offeredSteps(series, (s) => this.api.peekSeries(s.run, s.tag)?.steps.map((e) => e.step));
    this.steps = steps;
    const step = snapStep(steps, this.state.step);
    this.slider.max = String(Math.max(0, steps.length - 1));
    this.slider.value = String(step === null ? 0 : steps.indexOf(step));
    this.slider.disabled = steps.length <= 1;
    this.slider.setAttribute('aria-valuetext', step === null ? 'no steps' : `step ${step}`);
    this.stepText.textContent = step === null ? 'no steps' : `${step} (${steps.indexOf(step) + 1} of ${steps.length})${this.state.step === null ? ', latest' : ''}`;
    this.content.dataset.step = step === null ? '' : String(step);
    this.content.dataset.steps = String(steps.length);
    return step;
  }

  private async refresh(): Promise<void> {
    const gen = ++this.gen;
    const tags = this.tags;
    if (!tags) return;
    this.lazy?.dispose();
    const lazy = new Lazy((idle) => this.onIdle(gen, idle));
    this.lazy = lazy;
    const ctx = this.makeCtx(tags, lazy, gen);
    const st = this.state;
    const sidebarKey = JSON.stringify([this.tagsVersion, st.runs, st.runFilter, st.method, st.layer, st.classId, st.label, st.correctness, st.view]);
    if (sidebarKey !== this.sidebarKey) {
      // Rebuilt only when its inputs change (not on step / display changes); focus is kept.
      this.sidebarKey = sidebarKey;
      this.runList.update(ctx.allRuns, {runs: st.runs, runFilter: st.runFilter});
      this.buildFacets(ctx, true);
      this.syncViewButtons(ctx);
    }
    const spec = viewSpec(st.view);
    this.content.dataset.view = st.view;
    if (!spec) {
      this.shown = null;
      this.content.dataset.state = 'unknown-view';
      this.content.dataset.complete = 'true';
      const names = VIEWS.map((v) => v.label).join(', ');
      replaceChildren(this.content, h('div', {className: 'error', attrs: {role: 'alert', id: 'unknown-view'}}, `Unknown view "${st.view}". Choose one of the views above: ${names}.`));
      return;
    }
    this.content.dataset.state = 'loading';
    this.content.dataset.complete = 'false';
    try {
      const series = spec.impl.series(ctx);
      this.shown = {ctx, series};
      this.showSteps(series);
      const el = await spec.impl.render(ctx, st.step);
      if (gen !== this.gen) return;
      const notes = this.skippedNotes();
      if (notes) el.prepend(notes);
      // Lay the view out hidden where it will be shown, and load what will be on screen.
      const {scrollTop, scrollLeft} = this.content;
      this.stage.style.top = `${this.content.offsetTop}px`;
      this.stage.style.width = `${this.content.clientWidth}px`;
      replaceChildren(this.stage, el);
      await lazy.loadWithin(this.visibleArea(scrollTop));
      if (gen !== this.gen) return;
      const focusedInView = this.content.contains(document.activeElement) ? document.activeElement?.id : undefined;
      replaceChildren(this.content, el);
      replaceChildren(this.stage);
      this.content.scrollTop = scrollTop;
      this.content.scrollLeft = scrollLeft;
      if (focusedInView) document.getElementById(focusedInView)?.focus();
      // Keep the current frame of each filmstrip in view (centred) as the step moves.
      for (const strip of el.querySelectorAll<HTMLElement>('.filmstrip')) centreCurrent(strip);
      this.showSteps(series);
      this.content.dataset.state = 'ready';
      if (this.firstPaint) {
        this.firstPaint = false;
        // Marked on the next frame, i.e. once the view has been painted (benchmarks/ui.py).
        requestAnimationFrame(() => performance.mark('tbexplain-first-paint'));
      }
      lazy.attach(this.content);
    } catch (e) {
      if (gen !== this.gen) return;
      this.content.dataset.state = 'error';
      replaceChildren(this.content, h('div', {className: 'error', attrs: {role: 'alert'}}, (e as Error).message));
    }
  }

  /** The part of the stage that will be on screen once the view is shown at `scrollTop`. */
  private visibleArea(scrollTop: number): Box {
    const r = this.stage.getBoundingClientRect();
    // A hidden tab has no size: load about a screenful.
    const height = this.content.clientHeight || window.innerHeight || 800;
    return {top: r.top + scrollTop, bottom: r.top + scrollTop + height, left: r.left, right: r.right};
  }

  private onIdle(gen: number, idle: boolean): void {
    if (gen !== this.gen) return;
    this.content.dataset.complete = String(idle);
    if (idle && this.firstComplete) {
      this.firstComplete = false;
      requestAnimationFrame(() => performance.mark('tbexplain-first-complete'));
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
}
