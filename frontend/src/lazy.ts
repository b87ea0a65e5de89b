/**
 * Loads the parts of a view that are on screen: the first screenful before
 * the view is shown, the rest as they scroll near (IntersectionObserver).
 *
 * A view registers parts (an element and its `load`); nested parts, such as
 * the frames of a horizontally scrolled filmstrip, name the element they
 * scroll in. Each part loads at most once per render. `idle` says whether
 * every part near the screen has loaded, which the app shows as
 * `data-complete`.
 */

interface Part {
  el: Element;
  load: () => Promise<void>;
  scroller: Element | null;
  started: boolean;
}

/** A rectangle [top, bottom) x [left, right) in one coordinate system. */
export interface Box {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Whether two boxes overlap (touching edges do not), each grown by `marginY` / `marginX` first. */
export function overlaps(a: Box, b: Box, marginY = 0, marginX = 0): boolean {
  return a.top < b.bottom + marginY && a.bottom > b.top - marginY && a.left < b.right + marginX && a.right > b.left - marginX;
}

function box(el: Element): Box {
  const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
}

export class Lazy {
  private readonly parts: Part[] = [];
  private readonly byEl = new Map<Element, Part>();
  private readonly observers = new Map<Element | null, IntersectionObserver>();
  /** Parts observed whose first intersection report has not come yet. */
  private readonly unreported = new Set<Element>();
  private inflight = 0;
  private live = false;
  private viewport: Element | null = null;
  private disposed = false;
  private reported: boolean | null = null;

  /**
   * Args:
   *   onChange: called with `idle` whenever it changes once the view is shown.
   *   prefetch: how far beyond the visible area (a fraction of its size)
   *     parts start loading once the view is shown.
   */
  constructor(
    private readonly onChange: (idle: boolean) => void,
    private readonly prefetch = 0.5,
  ) {}

  /** Registers a part; once the view is shown it loads when it comes near the screen. */
  add(el: Element, load: () => Promise<void>, scroller: Element | null = null): void {
    if (this.disposed || this.byEl.has(el)) return;
    const part: Part = {el, load, scroller, started: false};
    this.parts.push(part);
    this.byEl.set(el, part);
    if (this.live) this.observe(part);
  }

  /**
   * Loads the parts inside `area` (parts that scroll in an element must also
   * be inside its box), then those their loads added that are inside, and so
   * on; resolves when all have settled. Used before the view is shown, with
   * the view laid out where it will be.
   */
  async loadWithin(area: Box): Promise<void> {
    for (;;) {
      const due = this.parts.filter((p) => !p.started && this.inside(p, area));
      if (due.length === 0 || this.disposed) return;
      await Promise.allSettled(due.map((p) => this.start(p)));
    }
  }

  /** Observes the parts not loaded yet, against `viewport` (the scrolling view). */
  attach(viewport: Element): void {
    if (this.disposed) return;
    this.live = true;
    this.viewport = viewport;
    for (const p of this.parts) if (!p.started) this.observe(p);
    this.check();
  }

  /** Whether the view is shown and every part near the screen has loaded. */
  get idle(): boolean {
    return this.live && this.inflight === 0 && this.unreported.size === 0;
  }

  /** Stops observing; loads in flight finish but report nothing. */
  dispose(): void {
    this.disposed = true;
    for (const o of this.observers.values()) o.disconnect();
    this.observers.clear();
  }

  private inside(p: Part, area: Box): boolean {
    const b = box(p.el);
    if (!overlaps(b, area)) return false;
    return p.scroller === null || overlaps(b, box(p.scroller));
  }

  private start(p: Part): Promise<void> {
    p.started = true;
    this.inflight++;
    this.check();
    const done = () => {
      this.inflight--;
      this.check();
    };
    let run: Promise<void>;
    try {
      run = p.load();
    } catch (e) {
      run = Promise.reject(e);
    }
    // A part's own errors are its to show; here they only end the load.
    return run.then(done, done);
  }

  private observer(scroller: Element | null): IntersectionObserver {
    let o = this.observers.get(scroller);
    if (!o) {
      const pct = `${Math.round(this.prefetch * 100)}%`;
      o = new IntersectionObserver((entries) => this.onEntries(entries, o!), {
        root: scroller ?? this.viewport,
        rootMargin: scroller ? `0px ${pct} 0px ${pct}` : `${pct} 0px ${pct} 0px`,
      });
      this.observers.set(scroller, o);
    }
    return o;
  }

  private observe(p: Part): void {
    this.unreported.add(p.el);
    this.observer(p.scroller).observe(p.el);
  }

  private onEntries(entries: IntersectionObserverEntry[], o: IntersectionObserver): void {
    if (this.disposed) return;
    for (const e of entries) {
      this.unreported.delete(e.target);
      const p = this.byEl.get(e.target);
      if (!p || p.started || !e.isIntersecting) continue;
      o.unobserve(e.target);
      void this.start(p);
    }
    this.check();
  }

  private check(): void {
    if (this.disposed || !this.live) return;
    const idle = this.idle;
    if (idle !== this.reported) {
      this.reported = idle;
      this.onChange(idle);
    }
  }
}
