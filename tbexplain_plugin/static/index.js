// tbexplain TensorBoard tab. Generated from frontend/src by `npm run build`; do not edit.

// src/api.ts
var NAMED = {
  class_id: "class_name",
  label: "label_name",
  predicted: "predicted_name"
};
var KEEP_NULL = /* @__PURE__ */ new Set(["score", "predicted"]);
function expandManifest(m) {
  const keys = Object.keys(m.columns ?? {});
  const n = keys.length ? m.columns[keys[0]].length : 0;
  const names = m.names ?? {};
  const items = [];
  for (let i = 0; i < n; i++) {
    const item = {};
    for (const k of keys) {
      const v = m.columns[k][i];
      if (v !== null && v !== void 0) item[k] = v;
      else if (KEEP_NULL.has(k)) item[k] = null;
      const nameKey = NAMED[k];
      const name = nameKey && Number.isSafeInteger(v) ? names[String(v)] : void 0;
      if (nameKey && name !== void 0) item[nameKey] = name;
    }
    items.push(item);
  }
  const out = { version: m.version, kind: m.kind, shape: m.shape, items };
  if (typeof m.target_name === "string" && m.target_name) out.target_name = m.target_name;
  return out;
}
function dimension(v) {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : 0;
}
function servedTile(t) {
  return { width: dimension(t?.width), height: dimension(t?.height), frames: dimension(t?.frames) || 1 };
}
function imageRefs(m, tile, rows, blobs) {
  const tiles = m.tiles && m.tiles > 0 ? m.tiles : 1;
  return Array.from({ length: rows }, (_, i) => {
    const blob = Math.floor(i / tiles);
    const count = Math.min(tiles, rows - blob * tiles);
    return { url: blobs[blob] ?? "", tile: i % tiles, count, width: tile.width, height: tile.height };
  });
}
async function getJson(fetchFn, url) {
  const res = await fetchFn(url, { cache: "no-store" });
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const body = await res.json();
      if (body && typeof body.error === "string") detail = body.error;
    } catch {
    }
    throw new Error(`GET ${url} failed (${res.status}): ${detail}`);
  }
  return await res.json();
}
function seriesData(r) {
  const steps = r.steps.map((s) => {
    const manifest = expandManifest(s.manifest);
    const tile = servedTile(s.tile);
    const layout = typeof s.layout === "string" ? s.layout : "";
    return { step: s.step, wall_time: s.wall_time, manifest, layout, tile, images: imageRefs(s.manifest, tile, manifest.items.length, s.blobs) };
  });
  return { steps, skipped: Array.isArray(r.skipped_steps) ? r.skipped_steps : [] };
}
function query(run, tag) {
  return `run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`;
}
var Cached = class {
  constructor() {
    this.entries = /* @__PURE__ */ new Map();
    this.resolved = /* @__PURE__ */ new Map();
  }
  get(key, gen, load) {
    const hit = this.entries.get(key);
    if (hit && hit.gen === gen) return hit.promise;
    const promise = load();
    const entry = { gen, promise };
    promise.then(
      (value) => {
        if (this.entries.get(key) === entry) this.resolved.set(key, value);
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      }
    );
    this.entries.set(key, entry);
    return promise;
  }
  /** The latest value that arrived for `key`, also a stale one. */
  peek(key) {
    return this.resolved.get(key);
  }
};
var Api = class {
  constructor(fetchFn = (u, i) => fetch(u, i)) {
    this.fetchFn = fetchFn;
    this.generation = 0;
    this.steps = new Cached();
    this.metricsCache = new Cached();
  }
  tags() {
    return getJson(this.fetchFn, "./tags");
  }
  /** All kept steps of a series (manifests and blob URLs), ascending; cached until invalidated. */
  series(run, tag) {
    const key = JSON.stringify([run, tag]);
    return this.steps.get(
      key,
      this.generation,
      () => getJson(this.fetchFn, `./steps?${query(run, tag)}`).then(seriesData)
    );
  }
  /** The series as it last arrived (possibly stale), without fetching; undefined before. */
  peekSeries(run, tag) {
    return this.steps.peek(JSON.stringify([run, tag]));
  }
  /** The scalars logged for an explanation series (`{}` when none); cached until invalidated. */
  metrics(run, tag) {
    return this.metricsCache.get(
      JSON.stringify([run, tag]),
      this.generation,
      () => getJson(this.fetchFn, `./metrics?${query(run, tag)}`).then(
        (r) => r && typeof r.metrics === "object" && r.metrics !== null ? r.metrics : {}
      )
    );
  }
  /** Marks every cached answer stale (after a TensorBoard reload). */
  invalidate() {
    this.generation++;
  }
};

// src/colormap.ts
var COLORMAPS = [
  { name: "viridis", label: "viridis (sequential)", diverging: false },
  { name: "magma", label: "magma (sequential)", diverging: false },
  { name: "gray", label: "gray (sequential)", diverging: false },
  { name: "bwr", label: "blue-white-red (diverging)", diverging: true }
];
var CONTROL = {
  viridis: [
    [0.266667, 3922e-6, 0.329412],
    [0.282353, 0.145098, 0.462745],
    [0.254902, 0.266667, 0.529412],
    [0.207843, 0.372549, 0.552941],
    [0.164706, 0.470588, 0.556863],
    [0.129412, 0.568627, 0.54902],
    [0.133333, 0.658824, 0.517647],
    [0.266667, 0.74902, 0.439216],
    [0.478431, 0.819608, 0.317647],
    [0.741176, 0.87451, 0.14902],
    [0.992157, 0.905882, 0.145098]
  ],
  magma: [
    [0, 0, 0.015686],
    [0.078431, 0.054902, 0.211765],
    [0.231373, 0.058824, 0.439216],
    [0.392157, 0.101961, 0.501961],
    [0.54902, 0.160784, 0.505882],
    [0.717647, 0.215686, 0.47451],
    [0.870588, 0.286275, 0.407843],
    [0.968627, 0.439216, 0.360784],
    [0.996078, 0.623529, 0.427451],
    [0.996078, 0.811765, 0.572549],
    [0.988235, 0.992157, 0.74902]
  ],
  gray: [
    [0, 0, 0],
    [1, 1, 1]
  ],
  bwr: [
    [0.019608, 0.188235, 0.380392],
    [0.129412, 0.4, 0.67451],
    [0.262745, 0.576471, 0.764706],
    [0.572549, 0.772549, 0.870588],
    [0.819608, 0.898039, 0.941176],
    [0.968627, 0.968627, 0.968627],
    [0.992157, 0.858824, 0.780392],
    [0.956863, 0.647059, 0.509804],
    [0.839216, 0.376471, 0.301961],
    [0.698039, 0.094118, 0.168627],
    [0.403922, 0, 0.121569]
  ]
};
var cache = /* @__PURE__ */ new Map();
function isColormapName(name) {
  return Object.prototype.hasOwnProperty.call(CONTROL, name);
}
function resolveColormap(choice, signed) {
  if (choice === "auto") return signed ? "bwr" : "viridis";
  return choice;
}
function lut(name) {
  const hit = cache.get(name);
  if (hit) return hit;
  const points = CONTROL[name];
  if (!points) throw new Error(`Unknown colormap. Received: name=${JSON.stringify(name)}`);
  const table = new Uint8Array(256 * 3);
  const segments = points.length - 1;
  for (let i = 0; i < 256; i++) {
    const t = i / 255 * segments;
    const k = Math.min(Math.floor(t), segments - 1);
    const f = t - k;
    const a = points[k];
    const b = points[k + 1];
    for (let c = 0; c < 3; c++) {
      table[i * 3 + c] = Math.round((a[c] + (b[c] - a[c]) * f) * 255);
    }
  }
  cache.set(name, table);
  return table;
}

// src/dom.ts
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (/^on/i.test(k)) throw new Error(`Event attributes are not allowed. Received: attr=${k}`);
    if (v === void 0 || v === false) continue;
    el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const [k, v] of Object.entries(props.dataset ?? {})) el.dataset[k] = v;
  for (const [k, v] of Object.entries(props.style ?? {})) el.style.setProperty(k, v);
  for (const [k, fn] of Object.entries(props.on ?? {})) {
    if (fn) el.addEventListener(k, fn);
  }
  append(el, ...children);
  return el;
}
var SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (/^on/i.test(k)) throw new Error(`Event attributes are not allowed. Received: attr=${k}`);
    if (v !== void 0) el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}
function append(parent, ...children) {
  for (const c of children) {
    if (c === null || c === void 0 || c === false) continue;
    parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}
function replaceChildren(parent, ...children) {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}
function select(label, options, value, onChange, id) {
  const sel = h("select", { attrs: { id, name: id } });
  for (const o of options) {
    const opt = h("option", { attrs: { value: o.value } }, o.text);
    if (o.value === value) opt.selected = true;
    sel.appendChild(opt);
  }
  sel.addEventListener("change", () => onChange(sel.value));
  return h("label", { className: "field", attrs: { for: id } }, h("span", { className: "field-label" }, label), sel);
}

// src/host.ts
function connectHost(onReload) {
  if (!window.parent || window.parent === window || typeof MessageChannel === "undefined") return false;
  const channel = new MessageChannel();
  const port = channel.port1;
  port.onmessage = (event) => {
    let msg;
    try {
      msg = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (!msg || msg.isReply) return;
    if (msg.type === "experimental.DataReloaded") onReload();
    const reply = { type: msg.type, id: msg.id, payload: null, error: null, isReply: true };
    port.postMessage(JSON.stringify(reply));
  };
  port.start();
  window.parent.postMessage("experimental.bootstrap", "*", [channel.port2]);
  return true;
}

// src/images.ts
function scratch(w, h2) {
  if (typeof OffscreenCanvas !== "undefined") {
    const c2 = new OffscreenCanvas(w, h2);
    const ctx2 = c2.getContext("2d", { willReadFrequently: true });
    if (ctx2) return ctx2;
  }
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h2;
  const ctx = c.getContext("2d", { willReadFrequently: true });
  if (!ctx) throw new Error("2D canvas is not available");
  return ctx;
}
var Lru = class {
  constructor(limit) {
    this.limit = limit;
    this.map = /* @__PURE__ */ new Map();
    this.total = 0;
  }
  get(key) {
    const e = this.map.get(key);
    if (e !== void 0) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e?.value;
  }
  set(key, value, weight = 0) {
    this.delete(key);
    this.map.set(key, { value, weight });
    this.total += weight;
    this.evict(key);
  }
  /** Sets the weight of `key`'s value if it is still `value` (e.g. once decoded). */
  weigh(key, value, weight) {
    const e = this.map.get(key);
    if (!e || e.value !== value) return;
    this.total += weight - e.weight;
    e.weight = weight;
    this.evict(key);
  }
  delete(key) {
    const e = this.map.get(key);
    if (!e) return;
    this.total -= e.weight;
    this.map.delete(key);
  }
  get size() {
    return this.map.size;
  }
  get weight() {
    return this.total;
  }
  /** Drops the least recently used values over the limit, never `keep`. */
  evict(keep) {
    for (const key of this.map.keys()) {
      if (this.total <= this.limit) break;
      if (key !== keep) this.delete(key);
    }
  }
};
async function fetchBitmap(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} failed (${res.status})`);
  const blob = await res.blob();
  return createImageBitmap(blob, { premultiplyAlpha: "none", colorSpaceConversion: "none" });
}
function stripMismatch(width, height, ref) {
  if (width === 0 || height === 0) return "the image has no pixels";
  const count = Math.max(1, ref.count);
  const wrongW = ref.width > 0 && width !== ref.width;
  const wrongH = ref.height > 0 ? height !== count * ref.height : height % count !== 0;
  if (!wrongW && !wrongH) return null;
  const each = `${ref.width || "any"} x ${ref.height || "any"}`;
  return `the image is ${width} x ${height} pixels; the manifest says it holds ${count} image(s) of ${each} stacked`;
}
function grayTiles(strip, tileHeight, count) {
  const w = strip.width;
  return Array.from({ length: count }, (_, k) => ({ width: w, height: tileHeight, data: strip.data.subarray(k * tileHeight * w, (k + 1) * tileHeight * w) }));
}
function grayOf(bmp) {
  const { width, height } = bmp;
  const ctx = scratch(width, height);
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4];
  return { width, height, data };
}
async function bitmapTiles(bmp, tileHeight, count) {
  if (count === 1) return [bmp];
  const opts = { premultiplyAlpha: "none", colorSpaceConversion: "none" };
  const tiles = await Promise.all(Array.from({ length: count }, (_, k) => createImageBitmap(bmp, 0, k * tileHeight, bmp.width, tileHeight, opts)));
  bmp.close();
  return tiles;
}
var ImageCache = class {
  /** The limits are in decoded pixels (1 byte each for gray, 4 for bitmaps). */
  constructor(grayPixels = 32 * 1024 * 1024, bitmapPixels2 = 16 * 1024 * 1024) {
    this.grays = new Lru(grayPixels);
    this.bitmaps = new Lru(bitmapPixels2);
  }
  /** Gray bytes (red channel) of the grayscale image `ref` points to. */
  gray(ref) {
    return tileOf(this.grays, ref, (bmp, h2, n) => grayTiles(grayOf(bmp), h2, n));
  }
  /** A drawable bitmap of the image `ref` points to. */
  bitmap(ref) {
    return tileOf(this.bitmaps, ref, bitmapTiles);
  }
};
function checked(bmp, ref) {
  const why = stripMismatch(bmp.width, bmp.height, ref);
  if (why === null) return bmp;
  bmp.close();
  throw new Error(why);
}
async function tileOf(cache2, ref, cut) {
  const key = `${ref.count}x${ref.width}x${ref.height}|${ref.url}`;
  let strip = cache2.get(key);
  if (!strip) {
    const loading = fetchBitmap(ref.url).then((bmp) => {
      const ok = checked(bmp, ref);
      return cut(ok, ref.height > 0 ? ref.height : ok.height / ref.count, ref.count);
    });
    strip = loading;
    cache2.set(key, loading);
    loading.then(
      (tiles2) => cache2.weigh(key, loading, tiles2.reduce((sum, t) => sum + t.width * t.height, 0)),
      () => cache2.delete(key)
    );
  }
  const tiles = await strip;
  const tile = tiles[ref.tile];
  if (tile === void 0) throw new Error(`${ref.url} holds ${tiles.length} images, not ${ref.tile + 1}`);
  return tile;
}
function bitmapPixels(bmp, w, h2, rows) {
  const ctx = scratch(w, h2);
  ctx.imageSmoothingEnabled = true;
  const top = rows?.top ?? 0;
  const height = rows?.height ?? bmp.height;
  ctx.drawImage(bmp, 0, top, bmp.width, height, 0, 0, w, h2);
  return ctx.getImageData(0, 0, w, h2).data;
}

// src/lazy.ts
function overlaps(a, b, marginY = 0, marginX = 0) {
  return a.top < b.bottom + marginY && a.bottom > b.top - marginY && a.left < b.right + marginX && a.right > b.left - marginX;
}
function box(el) {
  const r = el.getBoundingClientRect();
  return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
}
var Lazy = class {
  /**
   * Args:
   *   onChange: called with `idle` whenever it changes once the view is shown.
   *   prefetch: how far beyond the visible area (a fraction of its size)
   *     parts start loading once the view is shown.
   */
  constructor(onChange, prefetch = 0.5) {
    this.onChange = onChange;
    this.prefetch = prefetch;
    this.parts = [];
    this.byEl = /* @__PURE__ */ new Map();
    this.observers = /* @__PURE__ */ new Map();
    /** Parts observed whose first intersection report has not come yet. */
    this.unreported = /* @__PURE__ */ new Set();
    this.inflight = 0;
    this.live = false;
    this.viewport = null;
    this.disposed = false;
    this.reported = null;
  }
  /** Registers a part; once the view is shown it loads when it comes near the screen. */
  add(el, load, scroller = null) {
    if (this.disposed || this.byEl.has(el)) return;
    const part = { el, load, scroller, started: false };
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
  async loadWithin(area) {
    for (; ; ) {
      const due = this.parts.filter((p) => !p.started && this.inside(p, area));
      if (due.length === 0 || this.disposed) return;
      await Promise.allSettled(due.map((p) => this.start(p)));
    }
  }
  /** Observes the parts not loaded yet, against `viewport` (the scrolling view). */
  attach(viewport) {
    if (this.disposed) return;
    this.live = true;
    this.viewport = viewport;
    for (const p of this.parts) if (!p.started) this.observe(p);
    this.check();
  }
  /** Whether the view is shown and every part near the screen has loaded. */
  get idle() {
    return this.live && this.inflight === 0 && this.unreported.size === 0;
  }
  /** Stops observing; loads in flight finish but report nothing. */
  dispose() {
    this.disposed = true;
    for (const o of this.observers.values()) o.disconnect();
    this.observers.clear();
  }
  inside(p, area) {
    const b = box(p.el);
    if (!overlaps(b, area)) return false;
    return p.scroller === null || overlaps(b, box(p.scroller));
  }
  start(p) {
    p.started = true;
    this.inflight++;
    this.check();
    const done = () => {
      this.inflight--;
      this.check();
    };
    let run;
    try {
      run = p.load();
    } catch (e) {
      run = Promise.reject(e);
    }
    return run.then(done, done);
  }
  observer(scroller) {
    let o = this.observers.get(scroller);
    if (!o) {
      const pct = `${Math.round(this.prefetch * 100)}%`;
      o = new IntersectionObserver((entries) => this.onEntries(entries, o), {
        root: scroller ?? this.viewport,
        rootMargin: scroller ? `0px ${pct} 0px ${pct}` : `${pct} 0px ${pct} 0px`
      });
      this.observers.set(scroller, o);
    }
    return o;
  }
  observe(p) {
    this.unreported.add(p.el);
    this.observer(p.scroller).observe(p.el);
  }
  onEntries(entries, o) {
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
  check() {
    if (this.disposed || !this.live) return;
    const idle = this.idle;
    if (idle !== this.reported) {
      this.reported = idle;
      this.onChange(idle);
    }
  }
};

// src/model.ts
var PALETTE = [
  "#ff7043",
  "#0077bb",
  "#cc3311",
  "#33bbee",
  "#ee3377",
  "#009988",
  "#bbbbbb",
  "#9c27b0",
  "#6d4c41",
  "#f9a825",
  "#43a047",
  "#5c6bc0"
];
function runColor(run, allRuns) {
  const i = Math.max(0, allRuns.indexOf(run));
  if (i < PALETTE.length) return PALETTE[i];
  const k = i - PALETTE.length;
  const hue = Math.round(k * 137.508 % 360);
  const light = [45, 60, 35][k % 3];
  return `hsl(${hue}, 65%, ${light}%)`;
}
function filterRuns(runs, filter) {
  if (!filter) return [...runs];
  let re = null;
  try {
    re = new RegExp(filter, "i");
  } catch {
    re = null;
  }
  const f = filter.toLowerCase();
  return runs.filter((r) => re ? re.test(r) : r.toLowerCase().includes(f));
}
function activeRuns(allRuns, selected, filter) {
  const visible = filterRuns(allRuns, filter);
  if (selected === null) return visible;
  const sel = new Set(selected);
  return visible.filter((r) => sel.has(r));
}
function selectMatching(allRuns, selected, filter) {
  if (selected === null) return null;
  const sel = /* @__PURE__ */ new Set([...selected, ...filterRuns(allRuns, filter)]);
  return allRuns.filter((r) => sel.has(r));
}
function toggleRun(allRuns, selected, run, on) {
  const sel = new Set(selected ?? allRuns);
  if (on) sel.add(run);
  else sel.delete(run);
  return allRuns.filter((r) => sel.has(r));
}
function seriesOfKind(tags, runs, kind) {
  const out = [];
  for (const run of runs) {
    const byTag = tags.runs[run];
    if (!byTag) continue;
    for (const tag of Object.keys(byTag).sort()) {
      const info = byTag[tag];
      if (info.kind === kind) out.push({ run, tag, info });
    }
  }
  return out;
}
function distinct(values) {
  return [...new Set(values)].sort();
}
function pick(options, wanted) {
  return options.includes(wanted) ? wanted : options[0] ?? "";
}
function facets(series, method, layer) {
  const methods = distinct(series.map((s) => s.info.method));
  const m = pick(methods, method);
  const layers = distinct(series.filter((s) => s.info.method === m).map((s) => s.info.layer));
  const l = pick(layers, layer);
  return { methods, method: m, layers, layer: l };
}
function matchingSeries(series, method, layer) {
  return series.filter((s) => s.info.method === method && s.info.layer === layer);
}
function offeredSteps(series, loadedSteps) {
  return unionSteps(series.map((s) => loadedSteps(s) ?? (Number.isFinite(s.info.max_step) ? [s.info.max_step] : [])));
}
function unionSteps(lists) {
  const all = /* @__PURE__ */ new Set();
  for (const l of lists) for (const s of l) all.add(s);
  return [...all].sort((a, b) => a - b);
}
function snapStep(steps, target) {
  if (steps.length === 0) return null;
  if (target === null) return steps[steps.length - 1];
  let best = null;
  for (const s of steps) {
    if (s <= target) best = s;
    else break;
  }
  return best ?? steps[0];
}
function entryAtOrBefore(entries, step) {
  const s = snapStep(
    entries.map((e) => e.step),
    step
  );
  if (s === null) return null;
  return entries.find((e) => e.step === s) ?? null;
}
function stepNeighbour(steps, current, delta) {
  if (steps.length === 0) return null;
  const snapped = snapStep(steps, current);
  const i = snapped === null ? steps.length - 1 : steps.indexOf(snapped);
  const j = Math.max(0, Math.min(steps.length - 1, i + delta));
  return steps[j];
}
function predictedBySample(items) {
  const out = /* @__PURE__ */ new Map();
  if (items.some((it) => it.predicted !== void 0)) {
    for (const it of items) {
      if (it.sample !== void 0 && typeof it.predicted === "number" && !out.has(it.sample)) out.set(it.sample, it.predicted);
    }
    return out;
  }
  const best = /* @__PURE__ */ new Map();
  for (const it of items) {
    if (it.sample === void 0 || it.class_id === void 0) continue;
    const score = typeof it.score === "number" && Number.isFinite(it.score) ? it.score : -Infinity;
    const cur = best.get(it.sample);
    if (!cur || score > cur.score) best.set(it.sample, { score, cls: it.class_id });
  }
  for (const [s, v] of best) out.set(s, v.cls);
  return out;
}
function explainedName(item, targetName) {
  if (item.class_id !== void 0) return item.class_name ?? String(item.class_id);
  return targetName || null;
}
function isCorrect(item, predicted) {
  if (item.label === void 0 || item.label === null || item.sample === void 0) return null;
  const p = predicted.get(item.sample);
  if (p === void 0) return null;
  return p === item.label;
}
function filterItems(items, f) {
  const predicted = predictedBySample(items);
  const out = [];
  items.forEach((it, i) => {
    if (f.classId !== null && it.class_id !== f.classId) return;
    if (f.label !== null && it.label !== f.label) return;
    if (f.correctness !== "all") {
      const ok = isCorrect(it, predicted);
      if (ok === null || ok !== (f.correctness === "correct")) return;
    }
    out.push(i);
  });
  return out;
}
function classOptions(entries, field) {
  const seen = /* @__PURE__ */ new Map();
  for (const items of entries) {
    for (const it of items) {
      const id = field === "class" ? it.class_id : it.label;
      const name = field === "class" ? it.class_name : it.label_name;
      if (typeof id !== "number") continue;
      if (!seen.has(id) || !seen.get(id) && name) seen.set(id, name ?? "");
    }
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([id, name]) => ({ id, name: name || String(id) }));
}
function sampleOptions(entries) {
  const s = /* @__PURE__ */ new Set();
  for (const items of entries) for (const it of items) if (typeof it.sample === "number") s.add(it.sample);
  return [...s].sort((a, b) => a - b);
}
function inputIndex(items, sample) {
  if (sample === void 0) return -1;
  return items.findIndex((it) => it.sample === sample);
}
function rowKeys(items, visible) {
  const rank = /* @__PURE__ */ new Map();
  const out = /* @__PURE__ */ new Map();
  for (const i of visible) {
    const sample = items[i].sample ?? i;
    const r = rank.get(sample) ?? 0;
    rank.set(sample, r + 1);
    out.set(`${sample}:${r}`, i);
  }
  return out;
}
function alignRows(keyed) {
  const keys = /* @__PURE__ */ new Set();
  for (const m of keyed) for (const k of m.keys()) keys.add(k);
  return [...keys].sort((a, b) => {
    const [sa, ra] = a.split(":").map(Number);
    const [sb, rb] = b.split(":").map(Number);
    return sa - sb || ra - rb;
  });
}
function groupByRun(series) {
  const groups = /* @__PURE__ */ new Map();
  for (const s of series) groups.set(s.run, [...groups.get(s.run) ?? [], s]);
  return [...groups.values()];
}

// src/scale.ts
function rawValue(p, range) {
  return range.min + p / 255 * (range.max - range.min);
}
function sharedRange(ranges) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of ranges) {
    const a = Number(r.min);
    const b = Number(r.max);
    if (Number.isFinite(a) && a < lo) lo = a;
    if (Number.isFinite(b) && b > hi) hi = b;
  }
  if (lo > hi) return null;
  return { min: lo, max: hi };
}
function symmetric(range) {
  const m = Math.max(Math.abs(range.min), Math.abs(range.max));
  return { min: -m, max: m };
}
function displayRange(item, mode, shared, signed) {
  const base = mode === "shared" && shared ? shared : { min: Number(item.min), max: Number(item.max) };
  return signed ? symmetric(base) : base;
}
function byteToIndex(item, display, signed) {
  const out = new Uint8Array(256);
  const span = display.max - display.min;
  const itemMin = Number(item.min);
  const itemSpan = Number(item.max) - itemMin;
  for (let p = 0; p < 256; p++) {
    let t;
    if (!(span > 0) || !Number.isFinite(span)) {
      t = signed ? 0.5 : 0;
    } else {
      const raw = itemMin + p / 255 * (Number.isFinite(itemSpan) ? itemSpan : 0);
      t = (raw - display.min) / span;
    }
    t = Math.min(1, Math.max(0, t));
    out[p] = Math.round(t * 255);
  }
  return out;
}
function colorize(gray, remap, table, opacity, base, out) {
  const a = Math.min(1, Math.max(0, opacity));
  const b = 1 - a;
  const n = gray.length;
  for (let i = 0; i < n; i++) {
    const li = remap[gray[i]] * 3;
    const o = i * 4;
    if (base) {
      out[o] = base[o] * b + table[li] * a;
      out[o + 1] = base[o + 1] * b + table[li + 1] * a;
      out[o + 2] = base[o + 2] * b + table[li + 2] * a;
    } else {
      out[o] = table[li] * a;
      out[o + 1] = table[li + 1] * a;
      out[o + 2] = table[li + 2] * a;
    }
    out[o + 3] = 255;
  }
}
function formatValue(v, digits = 3) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1);
  return v.toPrecision(digits);
}

// src/style.ts
var CELL_PX = 148;
var GAP_PX = 8;
var CAPTION_PX = 62;
var CSS = `
:root { --bg:#fff; --fg:#212121; --muted:#616161; --panel:#f5f5f5; --border:#e0e0e0; --accent:#f57c00;
  --ok:#2e7d32; --bad:#c62828; --cell:${CELL_PX}px; color-scheme: light; }
:root.dark { --bg:#202124; --fg:#e8eaed; --muted:#9aa0a6; --panel:#2a2b2e; --border:#3c4043; --accent:#ffa726;
  --ok:#81c995; --bad:#f28b82; color-scheme: dark; }
html, body { height:100%; margin:0; }
body { background:var(--bg); color:var(--fg); font:13px/1.4 Roboto, "Segoe UI", Arial, sans-serif; overflow:hidden; }
.app { display:flex; height:100%; }
.sidebar { width:260px; flex:none; overflow:auto; border-right:1px solid var(--border); background:var(--panel); padding:8px 10px; box-sizing:border-box; }
.main { flex:1; display:flex; flex-direction:column; min-width:0; position:relative; overflow:hidden; }
.toolbar, .stepbar { display:flex; flex-wrap:wrap; align-items:center; gap:8px; padding:6px 10px; border-bottom:1px solid var(--border); }
.content { flex:1; overflow:auto; padding:10px; }
.content.stage { position:absolute; left:0; flex:none; overflow:visible; visibility:hidden; pointer-events:none; box-sizing:border-box; }
h2 { font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--muted); margin:12px 0 6px; }
.field { display:flex; flex-direction:column; gap:2px; margin:6px 0; }
.field-label { color:var(--muted); font-size:12px; }
select, input[type=text], input[type=search], button { font:inherit; color:var(--fg); background:var(--bg); border:1px solid var(--border); border-radius:4px; padding:3px 6px; }
button { cursor:pointer; }
button[aria-pressed=true], button.active { border-color:var(--accent); color:var(--accent); }
button:focus-visible, select:focus-visible, input:focus-visible, canvas:focus-visible { outline:2px solid var(--accent); outline-offset:1px; }
.runs { list-style:none; margin:0; padding:0; max-height:40vh; overflow:auto; }
.runs li label { display:flex; align-items:center; gap:6px; padding:2px 0; word-break:break-all; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:50%; flex:none; }
.run-chip { display:inline-flex; align-items:center; gap:6px; font-weight:500; word-break:break-all; }
.series { margin:0 0 16px; }
.series-head { display:flex; flex-wrap:wrap; gap:10px; align-items:center; margin-bottom:6px; }
.tag { color:var(--muted); }
.step-label { font-variant-numeric:tabular-nums; }
.cells { display:flex; flex-wrap:wrap; gap:${GAP_PX}px; }
figure.cell { margin:0; width:var(--cell); }
canvas.heat, img.plain { width:var(--cell); height:var(--cell); image-rendering:pixelated; display:block; background:#000; cursor:crosshair; object-fit:contain; }
figcaption { font-size:11px; color:var(--muted); overflow-wrap:anywhere; }
figcaption.correct .verdict { color:var(--ok); }
figcaption.incorrect .verdict { color:var(--bad); }
.cells.placeholder { background:var(--panel); border-radius:2px; }
.cells.placeholder.small { width:var(--cell); height:calc(var(--cell) + ${CAPTION_PX}px); }
.strip-placeholder { height:calc(var(--cell) + 120px); background:var(--panel); border-radius:2px; }
.note { color:var(--bad); font-size:12px; padding:4px 0; overflow-wrap:anywhere; }
.notes { margin-bottom:8px; }
button[data-has-data=false] { opacity:.55; }
.metrics { display:flex; flex-wrap:wrap; gap:12px; margin:0 0 6px; }
figure.metric { margin:0; }
figure.metric figcaption { font-size:11px; }
.metric-name { color:var(--fg); }
figure.metric .metric-range { font-size:10px; color:var(--muted); }
figure.metric svg { display:block; background:var(--panel); border-radius:2px; }
figure.metric .step-mark { stroke:var(--accent); stroke-width:1; }
figure.metric .hover-dot { fill:none; stroke:var(--fg); stroke-width:1.5; }
.downloads { display:flex; flex-wrap:wrap; gap:6px; }
.empty { color:var(--muted); padding:12px; }
canvas.heat.broken { background:repeating-linear-gradient(45deg, var(--border), var(--border) 6px, transparent 6px, transparent 12px); }
.error { color:var(--bad); padding:12px; white-space:pre-wrap; }
#step-slider { flex:1; min-width:160px; }
.tooltip { position:fixed; pointer-events:none; background:rgba(0,0,0,.8); color:#fff; padding:2px 6px; border-radius:3px; font-size:11px; z-index:20; }
.modal { position:fixed; inset:0; background:rgba(0,0,0,.6); display:flex; align-items:center; justify-content:center; z-index:10; }
.modal-box { background:var(--bg); color:var(--fg); padding:12px; border-radius:6px; max-width:95vw; max-height:95vh; overflow:auto; display:flex; gap:12px; }
.modal canvas.heat, .modal img.plain { width:min(512px, 80vh); height:min(512px, 80vh); }
.filmstrip { position:relative; display:flex; gap:6px; overflow-x:auto; padding-bottom:4px; }
.filmstrip figure.cell { flex:none; }
.filmstrip figure.cell.current canvas { outline:3px solid var(--accent); outline-offset:-3px; }
.filmstrip figure.cell.current:not(:has(canvas)) { outline:3px solid var(--accent); outline-offset:2px; }
.filmstrip figure.cell.tokens-cell, .compare figure.cell.tokens-cell { width:22em; min-width:0; }
.compare { display:grid; gap:8px; align-items:start; }
.compare .col-head { font-weight:500; }
.legend { display:flex; align-items:center; gap:6px; font-size:11px; color:var(--muted); }
.legend canvas { width:160px; height:10px; border:1px solid var(--border); }
.legend { margin-bottom:8px; }
.muted { color:var(--muted); }
.view-controls { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:8px; }
.view-controls .field { margin:0; }
.skipped { color:var(--bad); font-size:11px; }
.check { display:flex; align-items:center; gap:6px; margin:6px 0; font-size:12px; }
.sample-group { display:flex; flex-wrap:wrap; gap:6px; align-items:flex-start; padding:4px; border:1px solid var(--border); border-radius:4px; }
.sample-group > figcaption { flex-basis:100%; }
figure.cell.tokens-cell, figure.cell.bars-cell { width:auto; min-width:var(--cell); max-width:100%; }
.tokens { display:flex; flex-wrap:wrap; gap:2px; min-height:22px; }
.token { padding:1px 4px; border-radius:3px; color:#000; font-family:ui-monospace, Menlo, Consolas, monospace; white-space:pre; cursor:crosshair; }
.token.light { color:#fff; }
.token-rows { display:flex; flex-direction:column; gap:8px; margin-bottom:8px; }
.bars { display:grid; grid-template-columns:minmax(60px, max-content) 120px max-content; gap:2px 6px; align-items:center; font-size:11px; min-height:22px; }
.bar-row { display:contents; cursor:crosshair; }
.bar-name { overflow:hidden; text-overflow:ellipsis; white-space:nowrap; max-width:160px; }
.bar-track { height:10px; background:var(--panel); border-radius:2px; overflow:hidden; }
.bar { display:block; height:100%; }
.bar-value { font-variant-numeric:tabular-nums; color:var(--muted); }
.feature-runs { display:flex; flex-wrap:wrap; gap:16px; align-items:flex-start; }
.feature-run { flex:none; max-width:100%; }
.feature-run .cells { flex-direction:column; }
.frame-controls { display:flex; flex-wrap:wrap; align-items:center; gap:8px; margin:0 0 6px; }
.frame-controls .frame-slider { width:160px; }
.frame-label { font-variant-numeric:tabular-nums; }
figure.matrix { margin:0 0 8px; }
.matrix-grid { display:grid; grid-template-columns:max-content max-content; gap:2px 6px; }
.matrix-rows div { font-size:11px; line-height:16px; text-align:right; white-space:pre; max-width:160px; overflow:hidden; text-overflow:ellipsis; }
.matrix-plot { position:relative; }
.matrix-canvas { display:block; image-rendering:pixelated; background:var(--panel); cursor:crosshair; }
.matrix-current { position:absolute; top:0; bottom:0; box-sizing:border-box; border:2px solid var(--accent); pointer-events:none; }
.matrix-steps { display:flex; font-size:10px; color:var(--muted); }
.matrix-steps span { flex:none; overflow:visible; white-space:nowrap; }
`;

// src/render/widgets.ts
function lookFor(ctx, signed, shared) {
  return {
    table: lut(resolveColormap(ctx.state.colormap, signed)),
    opacity: ctx.state.opacity,
    scale: ctx.state.scale,
    shared: ctx.state.scale === "shared" ? shared : null
  };
}
function captionLines(item, predicted, targetName, withRange = true) {
  const lines = [];
  if (item.sample !== void 0) lines.push(`sample ${item.sample}`);
  const what = explainedName(item, targetName);
  if (what !== null) {
    lines.push(item.score !== void 0 ? `${what} (${formatValue(Number(item.score))})` : what);
  }
  const correct = isCorrect(item, predicted);
  if (item.label !== void 0) {
    const ln = item.label_name ?? String(item.label);
    let verdict = correct === null ? "" : correct ? " ✓" : " ✗";
    if (correct === false && typeof item.predicted === "number") verdict += ` (predicted ${item.predicted_name ?? item.predicted})`;
    lines.push(`label ${ln}${verdict}`);
  }
  if (withRange) lines.push(...rangeLines(item));
  return { lines, correct };
}
function rangeLines(item) {
  const lines = [`range [${formatValue(Number(item.min))}, ${formatValue(Number(item.max))}]`];
  if (item.nonfinite) lines.push(`${item.nonfinite} non-finite`);
  return lines;
}
function loadingPart(kind, i, lines, correct, build) {
  const slot = h("div", { className: `${kind} loading` });
  const el = h("figure", { className: `cell ${kind}-cell`, dataset: { item: String(i) } }, slot, caption(lines, correct));
  const load = () => build().then(
    (content) => {
      content.dataset.painted = "true";
      slot.replaceWith(content);
    },
    (err) => {
      slot.replaceWith(note(`could not load: ${err instanceof Error ? err.message : String(err)}`, { broken: "true" }));
    }
  );
  return { el, load };
}
function caption(lines, correct) {
  return h(
    "figcaption",
    { className: correct === null ? "" : correct ? "correct" : "incorrect" },
    ...lines.map((l) => h("div", { className: / [✓✗]/.test(l) ? "verdict" : void 0 }, l))
  );
}
function seriesSection(ctx, s, label, placeholder) {
  const stepLabel = h("span", { className: "step-label" }, "");
  const head = h("div", { className: "series-head" }, runChip(ctx, s.run), h("span", { className: "tag" }, label), stepLabel);
  const block2 = h("section", { className: "series", dataset: { run: s.run, tag: s.tag, loaded: "false" } }, head, placeholder);
  return { block: block2, stepLabel };
}
function cellsHeight(count, width) {
  const perRow = Math.max(1, Math.floor((width + GAP_PX) / (CELL_PX + GAP_PX)));
  const rows = Math.max(1, Math.ceil(count / perRow));
  return rows * (CELL_PX + CAPTION_PX) + (rows - 1) * GAP_PX;
}
function placeholderCells(ctx, count) {
  const n = Math.max(1, count ?? 1);
  if (n === 1) return h("div", { className: "cells placeholder small", attrs: { "aria-hidden": "true" } });
  return h("div", { className: "cells placeholder", attrs: { "aria-hidden": "true" }, style: { height: `${cellsHeight(n, ctx.width)}px` } });
}
function note(text, dataset = {}) {
  return h("div", { className: "note", attrs: { role: "note" }, dataset }, text);
}
function skippedStepsNote(skipped) {
  if (skipped.length === 0) return null;
  const shown = skipped.slice(0, 3).map((k) => `step ${k.step} (${k.reason})`);
  const more = skipped.length > 3 ? `, and ${skipped.length - 3} more` : "";
  const what = skipped.length === 1 ? "1 step" : `${skipped.length} steps`;
  return note(`${what} could not be read: ${shown.join("; ")}${more}`, { skipped: String(skipped.length) });
}
function markBroken(canvas, title, err) {
  const why = err instanceof Error ? err.message : String(err);
  canvas.classList.add("broken");
  canvas.dataset.broken = "true";
  canvas.setAttribute("aria-label", `${title}: could not load (${why})`);
  canvas.title = `could not load: ${why}`;
  canvas.closest("figure")?.querySelector("figcaption")?.appendChild(h("div", { className: "note" }, "could not load"));
}
function blockFailed(block2, placeholder, err) {
  const why = err instanceof Error ? err.message : String(err);
  placeholder.replaceWith(note(`could not load this series: ${why}`, { failed: "true" }));
  block2.dataset.loaded = "true";
}
function runChip(ctx, run) {
  const color = runColor(run, ctx.allRuns);
  return h("span", { className: "run-chip" }, h("span", { className: "swatch", style: { background: color } }), run);
}
function empty(text) {
  return h("div", { className: "empty", attrs: { role: "status" } }, text);
}
function bitmapCanvas(bmp, label, onClick) {
  const canvas = h("canvas", { className: "heat plain", attrs: { role: "img", "aria-label": label, tabindex: onClick ? 0 : void 0 } });
  canvas.width = bmp.width;
  canvas.height = bmp.height;
  canvas.getContext("2d")?.drawImage(bmp, 0, 0);
  if (onClick) {
    canvas.addEventListener("click", onClick);
    canvas.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        onClick();
      }
    });
  }
  return canvas;
}
function sampleSelect(ctx, samples, names) {
  const current = samples.includes(ctx.state.sample) ? ctx.state.sample : samples[0] ?? 0;
  return select(
    "Sample",
    samples.map((s) => ({ value: String(s), text: names?.get(s) ? `sample ${s} (${names.get(s)})` : `sample ${s}` })),
    String(current),
    (v) => ctx.set({ sample: Number(v) }),
    "sample-select"
  );
}
function effectiveSample(ctx, samples) {
  return samples.includes(ctx.state.sample) ? ctx.state.sample : samples[0] ?? 0;
}
function tagSelect(label, tags, value, onChange, id) {
  return select(label, tags.map((t) => ({ value: t.tag, text: t.text })), value, onChange, id);
}
function legend(look, signed) {
  const bar = h("canvas", { attrs: { width: 256, height: 1, "aria-hidden": "true" } });
  const c2d = bar.getContext("2d");
  if (c2d) {
    const img = c2d.createImageData(256, 1);
    for (let i = 0; i < 256; i++) {
      img.data.set([look.table[i * 3], look.table[i * 3 + 1], look.table[i * 3 + 2], 255], i * 4);
    }
    c2d.putImageData(img, 0, 0);
  }
  let lo = "min";
  let hi = "max";
  let note2 = signed ? "per map, symmetric around 0" : "per map (own min / max)";
  if (look.scale === "shared" && look.shared) {
    const r = signed ? symmetric(look.shared) : look.shared;
    lo = formatValue(r.min);
    hi = formatValue(r.max);
    note2 = "shared across steps and runs";
  }
  return h("div", { className: "legend", attrs: { id: "legend", role: "note" } }, h("span", {}, lo), bar, h("span", {}, hi), h("span", {}, `· ${note2}`));
}

// src/render/explain.ts
function facetSeries(tags, runs, layouts) {
  const all = seriesOfKind(tags, runs, "explanation");
  return layouts ? all.filter((s) => layouts.includes(s.info.layout ?? "")) : all;
}
function explainSeries(ctx, layouts = null) {
  const all = facetSeries(ctx.tags, ctx.runs, layouts);
  const f = facets(all, ctx.state.method, ctx.state.layer);
  return matchingSeries(all, f.method, f.layer);
}
function visibleItems(ctx, entry) {
  return filterItems(entry.manifest.items, {
    classId: entry.manifest.target_name ? null : ctx.state.classId,
    label: ctx.state.label,
    correctness: ctx.state.correctness
  });
}

// src/attribution.ts
function rgbAt(table, index) {
  return [table[index * 3], table[index * 3 + 1], table[index * 3 + 2]];
}
function darkTextOn(rgb) {
  const lin = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05);
}
function valueIndex(v, display, signed) {
  const span = display.max - display.min;
  if (!(span > 0) || !Number.isFinite(span)) return signed ? 128 : 0;
  const t = Math.min(1, Math.max(0, (v - display.min) / span));
  return Math.round(t * 255);
}
function tokenCells(heat, item, display, signed, table, tokens, present) {
  const remap = byteToIndex(item, display, signed);
  const out = [];
  for (let t = 0; t < heat.length; t++) {
    if (present && present[t] === 0) continue;
    const rgb = rgbAt(table, remap[heat[t]]);
    out.push({ index: t, text: tokens?.[t] ?? `#${t}`, value: rawValue(heat[t], item), rgb, dark: darkTextOn(rgb) });
  }
  return out;
}
function sortedFeatures(values, names, inputs) {
  const bars = Array.from({ length: values.length }, (_, i) => ({
    index: i,
    name: names[i] || `feature ${i}`,
    value: values[i],
    input: inputs && i < inputs.length ? inputs[i] : null
  }));
  return bars.sort((a, b) => Math.abs(b.value) - Math.abs(a.value) || a.index - b.index);
}
function barFraction(v, display) {
  const m = Math.max(Math.abs(display.min), Math.abs(display.max));
  if (!(m > 0) || !Number.isFinite(v)) return 0;
  return Math.min(1, Math.abs(v) / m);
}
function meanAbsolute(rows) {
  const width = rows.length ? rows[0].length : 0;
  const sum = new Float64Array(width);
  const count = new Float64Array(width);
  for (const r of rows) {
    for (let j = 0; j < width && j < r.length; j++) {
      const v = r[j];
      if (!Number.isFinite(v)) continue;
      sum[j] += Math.abs(v);
      count[j] += 1;
    }
  }
  return sum.map((s, j) => count[j] > 0 ? s / count[j] : NaN);
}
function columnRange(m, c) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let r = 0; r < m.rows.length; r++) {
    const v = m.values[r * m.cols.length + c];
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo <= hi ? { min: lo, max: hi } : null;
}
function matrixPixels(m, rangeOf, signed, table) {
  const w = m.cols.length;
  const out = new Uint8ClampedArray(w * m.rows.length * 4);
  for (let c = 0; c < w; c++) {
    const range = rangeOf(c);
    for (let r = 0; r < m.rows.length; r++) {
      const v = m.values[r * w + c];
      if (!Number.isFinite(v) || !range) continue;
      const o = (r * w + c) * 4;
      out.set(rgbAt(table, valueIndex(v, range, signed)), o);
      out[o + 3] = 255;
    }
  }
  return out;
}

// src/npy.ts
function npyFloat32(data, shape) {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== data.length) {
    throw new Error(`shape must hold the data's ${data.length} values. Received: shape=[${shape.join(", ")}]`);
  }
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  const unpadded = 10 + header.length + 1;
  header += " ".repeat((64 - unpadded % 64) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set([147, 78, 85, 77, 80, 89, 1, 0], 0);
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(start + i * 4, data[i], true);
  return out;
}
function rawMap(bytes, range) {
  const lo = Number(range.min);
  const span = Number(range.max) - lo;
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = lo + bytes[i] / 255 * span;
  return out;
}

// src/render/sources.ts
async function loadSeries(ctx, series) {
  const all = await Promise.all(series.map((s) => ctx.api.series(s.run, s.tag)));
  ctx.loaded();
  return all;
}
async function loadBlock(ctx, s) {
  for (const tag of [inputsOf(ctx, s), maskOf(ctx, s)]) if (tag) void ctx.api.series(s.run, tag).catch(() => void 0);
  const data = await ctx.api.series(s.run, s.tag);
  ctx.loaded();
  return data;
}
function inputsOf(ctx, s) {
  const tag = s.info.inputs_tag;
  return tag && ctx.tags.runs[s.run]?.[tag] ? tag : null;
}
function maskOf(ctx, s) {
  const tag = s.info.mask_tag;
  return ctx.state.mask && tag && ctx.tags.runs[s.run]?.[tag] ? tag : null;
}
function rangeOver(data, keep) {
  const ranges = [];
  for (const d of data) for (const e of d.steps) for (const it of e.manifest.items) if (!keep || keep(it)) ranges.push(it);
  return sharedRange(ranges);
}
async function rowAt(ctx, run, tag, step, sample) {
  const data = await ctx.api.series(run, tag);
  const at = entryAtOrBefore(data.steps, step);
  const k = at ? inputIndex(at.manifest.items, sample) : -1;
  return at && k >= 0 && at.images[k] ? { entry: at, index: k } : null;
}
async function inputRow(ctx, s, step, sample) {
  const tag = inputsOf(ctx, s);
  return tag ? rowAt(ctx, s.run, tag, step, sample) : null;
}
async function inputImage(ctx, s, step, sample) {
  const row = await inputRow(ctx, s, step, sample);
  return row ? ctx.images.bitmap(row.entry.images[row.index]) : null;
}
async function targetRegion(ctx, s, step, sample) {
  const tag = maskOf(ctx, s);
  const row = tag ? await rowAt(ctx, s.run, tag, step, sample) : null;
  return row ? ctx.images.gray(row.entry.images[row.index]) : null;
}
async function heatSource(ctx, s, entry, i, stretch = false) {
  const item = entry.manifest.items[i];
  const heatP = ctx.images.gray(entry.images[i]);
  const baseP = inputImage(ctx, s, entry.step, item.sample).then(
    (bmp) => ({ bmp, error: null }),
    (e) => ({ bmp: null, error: e.message })
  );
  const maskP = targetRegion(ctx, s, entry.step, item.sample).catch(() => null);
  const [heat, base, mask] = await Promise.all([heatP, baseP, maskP]);
  const src = { heat, item, base: base.bmp, signed: s.info.signed, stretch, depth: entry.tile.frames, shape: entry.manifest.shape, mask };
  if (base.error) src.baseError = base.error;
  return src;
}

// src/layouts/features.ts
function featureNames(ctx, s) {
  const tag = inputsOf(ctx, s);
  return (tag ? ctx.tags.runs[s.run]?.[tag]?.feature_names : null) ?? [];
}
async function featureInputs(ctx, s, step, sample) {
  const row = await inputRow(ctx, s, step, sample);
  if (!row) return null;
  const g = await ctx.images.gray(row.entry.images[row.index]);
  return Float64Array.from(rawMap(g.data, row.entry.manifest.items[row.index]));
}
async function featureSource(ctx, s, entry, i) {
  const item = entry.manifest.items[i];
  const inputsP = featureInputs(ctx, s, entry.step, item.sample).catch(() => null);
  const [heat, inputs] = await Promise.all([ctx.images.gray(entry.images[i]), inputsP]);
  return { values: Float64Array.from(rawMap(heat.data, item)), item, names: featureNames(ctx, s), inputs, signed: s.info.signed };
}
function featureBars(ctx, src, look) {
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const list = h("div", { className: "bars", attrs: { role: "list" } });
  for (const b of sortedFeatures(src.values, src.names, src.inputs)) {
    const k = valueIndex(b.value, display, src.signed);
    const color = `rgb(${look.table[k * 3]},${look.table[k * 3 + 1]},${look.table[k * 3 + 2]})`;
    const name = b.input === null ? b.name : `${b.name} = ${formatValue(b.input)}`;
    const row = h(
      "div",
      { className: "bar-row", attrs: { role: "listitem", "aria-label": `${name}: ${formatValue(b.value)}` }, dataset: { feature: String(b.index), value: String(b.value) } },
      h("span", { className: "bar-name", attrs: { title: name } }, name),
      h("span", { className: "bar-track" }, h("span", { className: "bar", style: { width: `${(barFraction(b.value, display) * 100).toFixed(1)}%`, background: color } })),
      h("span", { className: "bar-value" }, formatValue(b.value))
    );
    row.addEventListener("mousemove", (ev) => ctx.hover.show(`${name}: attribution ${formatValue(b.value)}`, ev));
    row.addEventListener("mouseleave", () => ctx.hover.hide());
    list.appendChild(row);
  }
  return list;
}
var featuresLayout = {
  part: (ctx, row, look) => loadingPart("bars", row.i, row.caption ?? row.lines, row.correct, () => featureSource(ctx, row.s, row.entry, row.i).then((src) => featureBars(ctx, src, look)))
};

// src/mask.ts
var OUTSIDE_KEEP = 0.35;
var sampled = /* @__PURE__ */ new WeakMap();
function regionAt(mask, width, height) {
  let bySize = sampled.get(mask);
  if (!bySize) {
    bySize = /* @__PURE__ */ new Map();
    sampled.set(mask, bySize);
  }
  const key = `${width}x${height}`;
  let out = bySize.get(key);
  if (!out) {
    out = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) {
      const sy = Math.min(mask.height - 1, Math.floor((y + 0.5) * mask.height / height));
      for (let x = 0; x < width; x++) {
        const sx = Math.min(mask.width - 1, Math.floor((x + 0.5) * mask.width / width));
        out[y * width + x] = mask.data[sy * mask.width + sx] > 127 ? 1 : 0;
      }
    }
    bySize.set(key, out);
  }
  return out;
}
function applyRegion(rgba, region) {
  for (let i = 0; i < region.length; i++) {
    if (region[i]) continue;
    const o = i * 4;
    rgba[o] *= OUTSIDE_KEEP;
    rgba[o + 1] *= OUTSIDE_KEEP;
    rgba[o + 2] *= OUTSIDE_KEEP;
  }
}

// src/resample.ts
function taps(inSize, outSize) {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const s = Math.min(inSize - 1, Math.max(0, (i + 0.5) * scale - 0.5));
    const l = Math.floor(s);
    lo[i] = l;
    hi[i] = Math.min(l + 1, inSize - 1);
    t[i] = s - l;
  }
  return { lo, hi, t };
}
function upsampleGray(g, width, height) {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new RangeError(`upsampleGray needs a positive integer size. Received: width=${width}, height=${height}`);
  }
  if (!(g.width > 0 && g.height > 0) || g.data.length !== g.width * g.height) {
    throw new RangeError(`upsampleGray needs a non-empty map with width * height bytes. Received: width=${g.width}, height=${g.height}, bytes=${g.data.length}`);
  }
  if (width === g.width && height === g.height) return g;
  const xs = taps(g.width, width);
  const ys = taps(g.height, height);
  const src = g.data;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const top = ys.lo[y] * g.width;
    const bottom = ys.hi[y] * g.width;
    const ty = ys.t[y];
    for (let x = 0; x < width; x++) {
      const l = xs.lo[x];
      const r = xs.hi[x];
      const tx = xs.t[x];
      const a = src[top + l] + (src[top + r] - src[top + l]) * tx;
      const b = src[bottom + l] + (src[bottom + r] - src[bottom + l]) * tx;
      out[y * width + x] = Math.round(a + (b - a) * ty);
    }
  }
  return { width, height, data: out };
}
var resized = /* @__PURE__ */ new WeakMap();
function cachedUpsample(g, width, height) {
  if (width === g.width && height === g.height) return g;
  let bySize = resized.get(g);
  if (!bySize) {
    bySize = /* @__PURE__ */ new Map();
    resized.set(g, bySize);
  }
  const key = `${width}x${height}`;
  let out = bySize.get(key);
  if (!out) {
    out = upsampleGray(g, width, height);
    bySize.set(key, out);
  }
  return out;
}

// src/tiles.ts
function clampFrame(k, frames) {
  return Math.min(Math.max(1, Math.floor(frames)) - 1, Math.max(0, Math.floor(k) || 0));
}
function frameRows(tileHeight, frames, k) {
  const height = Math.floor(tileHeight / Math.max(1, Math.floor(frames)));
  return { top: clampFrame(k, frames) * height, height };
}
var cuts = /* @__PURE__ */ new WeakMap();
function tileFrame(g, frames, k) {
  if (frames <= 1) return g;
  if (!Number.isInteger(frames) || g.height % frames !== 0) {
    throw new RangeError(`a tile must hold whole frames. Received: height=${g.height}, frames=${frames}`);
  }
  let cut = cuts.get(g);
  if (!cut || cut.length !== frames) {
    const h2 = g.height / frames;
    cut = Array.from({ length: frames }, (_, i) => ({ width: g.width, height: h2, data: g.data.subarray(i * h2 * g.width, (i + 1) * h2 * g.width) }));
    cuts.set(g, cut);
  }
  return cut[clampFrame(k, frames)];
}

// src/render/cell.ts
var basePixels = /* @__PURE__ */ new WeakMap();
function cachedBase(bmp, w, hgt, depth, frame) {
  let bySize = basePixels.get(bmp);
  if (!bySize) {
    bySize = /* @__PURE__ */ new Map();
    basePixels.set(bmp, bySize);
  }
  const rows = frameRows(bmp.height, depth, frame);
  const key = `${w}x${hgt}@${rows.top}+${rows.height}`;
  let px = bySize.get(key);
  if (!px) {
    px = bitmapPixels(bmp, w, hgt, rows);
    bySize.set(key, px);
  }
  return px;
}
function shownGray(src, frame = 0) {
  const g = tileFrame(src.heat, src.depth, frame);
  const b = src.base;
  if (!b) return g;
  const bh = frameRows(b.height, src.depth, frame).height;
  if (src.stretch) return b.width === g.width && bh > 1 ? cachedUpsample(g, g.width, bh) : g;
  if (b.width < g.width || bh < g.height) return g;
  return cachedUpsample(g, b.width, bh);
}
function paintHeat(canvas, src, look, frame = 0) {
  const { width: w, height: hgt, data } = shownGray(src, frame);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hgt) canvas.height = hgt;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const img = ctx.createImageData(w, hgt);
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const remap = byteToIndex(src.item, display, src.signed);
  const base = src.base ? cachedBase(src.base, w, hgt, src.depth, frame) : null;
  colorize(data, remap, look.table, base ? look.opacity : 1, base, img.data);
  if (src.mask) applyRegion(img.data, regionAt(src.mask, w, hgt));
  ctx.putImageData(img, 0, 0);
  canvas.dataset.frame = String(clampFrame(frame, src.depth));
}
function valueAt(canvas, src, ev, frame = 0) {
  const rect = canvas.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) return null;
  const g = shownGray(src, frame);
  const x = Math.floor((ev.clientX - rect.left) / rect.width * g.width);
  const y = Math.floor((ev.clientY - rect.top) / rect.height * g.height);
  if (x < 0 || y < 0 || x >= g.width || y >= g.height) return null;
  return { x, y, v: rawValue(g.data[y * g.width + x], src.item) };
}
function emptyHeatCanvas(label, clickable, tile) {
  const canvas = h("canvas", {
    className: "heat",
    attrs: { role: "img", "aria-label": label, tabindex: clickable ? 0 : void 0 }
  });
  if (tile && tile.width > 0 && tile.height > 0) {
    canvas.width = tile.width;
    canvas.height = frameRows(tile.height, tile.frames, 0).height;
  }
  return canvas;
}
function hoverText(r, src, frame) {
  const where = src.depth > 1 ? `(${r.x}, ${r.y}) of frame ${clampFrame(frame, src.depth) + 1}` : `(${r.x}, ${r.y})`;
  return `value ${formatValue(r.v)} at ${where}`;
}
function bindHeat(canvas, src, look, hover, onClick, frame = 0) {
  let shown = frame;
  paintHeat(canvas, src, look, shown);
  canvas.dataset.painted = "true";
  canvas.addEventListener("mousemove", (ev) => {
    const r = valueAt(canvas, src, ev, shown);
    if (r) hover.show(hoverText(r, src, shown), ev);
    else hover.hide();
  });
  canvas.addEventListener("mouseleave", () => hover.hide());
  if (onClick) {
    canvas.addEventListener("click", () => onClick(shown));
    canvas.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        onClick(shown);
      }
    });
  }
  return (k) => {
    shown = k;
    paintHeat(canvas, src, look, shown);
  };
}

// src/layouts/heat.ts
function heatPart(ctx, row, look, stretch) {
  const { s, entry, i, lines } = row;
  const item = entry.manifest.items[i];
  const title = `${s.run} · ${s.tag} · step ${entry.step}`;
  const canvas = emptyHeatCanvas(`${title} · ${lines.join(" · ")}`, true, entry.tile);
  const file = `${s.run}_${s.tag}_step${entry.step}_sample${item.sample ?? i}`;
  let frame = 0;
  let repaint = null;
  const load = () => heatSource(ctx, s, entry, i, stretch).then(
    (src) => {
      repaint = bindHeat(canvas, src, look, ctx.hover, (k) => ctx.openLarge({ title, lines, src, look, file, frame: k }), frame);
    },
    // One unreadable blob must not hide the rest of the view.
    (err) => markBroken(canvas, title, err)
  );
  const el = h("figure", { className: "cell", dataset: { item: String(i) } }, canvas, caption(row.caption ?? lines, row.correct));
  const setFrame = (k) => {
    frame = k;
    repaint?.(k);
  };
  return { el, load, setFrame };
}

// src/layouts/image.ts
var imageLayout = {
  part: (ctx, row, look) => heatPart(ctx, row, look, false)
};

// src/layouts/sequence.ts
var sequenceLayout = {
  part: (ctx, row, look) => heatPart(ctx, row, look, true)
};

// src/layouts/tokens.ts
async function tokenInputs(ctx, s, step, sample) {
  const row = await inputRow(ctx, s, step, sample);
  if (!row) return { tokens: null, present: null };
  const tokens = row.entry.manifest.items[row.index].tokens ?? null;
  const present = await ctx.images.gray(row.entry.images[row.index]).then(
    (g) => g.data,
    () => null
  );
  return { tokens, present };
}
async function tokenSource(ctx, s, entry, i) {
  const item = entry.manifest.items[i];
  const inputsP = tokenInputs(ctx, s, entry.step, item.sample).catch(() => ({ tokens: null, present: null }));
  const [heat, inputs] = await Promise.all([ctx.images.gray(entry.images[i]), inputsP]);
  return { heat, item, signed: s.info.signed, ...inputs };
}
function tokenRow(ctx, src, look) {
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const cells = tokenCells(src.heat.data, src.item, display, src.signed, look.table, src.tokens, src.present);
  const row = h("div", { className: "tokens", attrs: { role: "list" } });
  for (const c of cells) {
    const span = h(
      "span",
      {
        className: c.dark ? "token" : "token light",
        attrs: { role: "listitem", "aria-label": `${c.text || "(empty)"}: ${formatValue(c.value)}` },
        dataset: { index: String(c.index), value: String(c.value) },
        style: { background: `rgb(${c.rgb.join(",")})` }
      },
      c.text || "∅"
    );
    span.addEventListener("mousemove", (ev) => ctx.hover.show(`"${c.text}" (token ${c.index}): value ${formatValue(c.value)}`, ev));
    span.addEventListener("mouseleave", () => ctx.hover.hide());
    row.appendChild(span);
  }
  if (cells.length === 0) row.appendChild(h("span", { className: "muted" }, "no tokens"));
  return row;
}
var tokensLayout = {
  part: (ctx, row, look) => loadingPart("tokens", row.i, row.caption ?? row.lines, row.correct, () => tokenSource(ctx, row.s, row.entry, row.i).then((src) => tokenRow(ctx, src, look)))
};

// src/render/frames.ts
var FRAME_MS = 500;
function frameControls(depth, onFrame, start = 0) {
  let frame = clampFrame(start, depth);
  let timer = null;
  const slider = h("input", { className: "frame-slider", attrs: { type: "range", min: 0, max: depth - 1, step: 1, value: frame, "aria-label": "Frame" } });
  const label = h("span", { className: "frame-label", attrs: { "aria-live": "polite" } });
  const play = h("button", { className: "frame-play", attrs: { type: "button", "aria-pressed": "false" } }, "Play frames");
  const el = h("div", { className: "frame-controls", dataset: { frames: String(depth) } }, h("span", { className: "field-label" }, "Frame"), slider, label, play);
  const show = (k) => {
    frame = clampFrame(k, depth);
    slider.value = String(frame);
    label.textContent = `frame ${frame + 1} of ${depth}`;
    el.dataset.frame = String(frame);
    onFrame(frame);
  };
  const stop = () => {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    play.textContent = "Play frames";
    play.setAttribute("aria-pressed", "false");
  };
  slider.addEventListener("input", () => show(Number(slider.value)));
  play.addEventListener("click", () => {
    if (timer !== null) {
      stop();
      return;
    }
    play.textContent = "Pause frames";
    play.setAttribute("aria-pressed", "true");
    timer = window.setInterval(() => {
      if (!el.isConnected) stop();
      else show((frame + 1) % depth);
    }, FRAME_MS);
  });
  label.textContent = `frame ${frame + 1} of ${depth}`;
  el.dataset.frame = String(frame);
  return el;
}

// src/layouts/volume.ts
var volumeLayout = {
  part: (ctx, row, look) => heatPart(ctx, row, look, false),
  controls(entries, parts) {
    const frames = Math.max(1, ...entries.map((e) => e.tile.frames));
    return frames > 1 ? frameControls(frames, (k) => parts.forEach((p) => p.setFrame?.(k))) : null;
  }
};

// src/layouts/index.ts
var LAYOUT_VIEWS = /* @__PURE__ */ new Map([
  ["image", imageLayout],
  ["sequence", sequenceLayout],
  ["tokens", tokensLayout],
  ["features", featuresLayout],
  ["volume", volumeLayout]
]);
var LAYOUT_NAMES = Object.freeze([...LAYOUT_VIEWS.keys()]);
function rowPart(ctx, row, look) {
  const layout = LAYOUT_VIEWS.get(row.entry.layout);
  if (layout) return layout.part(ctx, row, look);
  return loadingPart(
    "unknown",
    row.i,
    row.caption ?? row.lines,
    row.correct,
    () => Promise.reject(new Error(`this tab does not draw rows of layout "${row.entry.layout}"`))
  );
}
function blockControls(entries, parts) {
  return [...LAYOUT_VIEWS].flatMap(([name, layout]) => {
    const mine = entries.filter((e) => e.layout === name);
    const el = mine.length && layout.controls ? layout.controls(mine, parts) : null;
    return el ? [el] : [];
  });
}

// src/render/chart.ts
function linearScale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (!(span > 0) || !Number.isFinite(span)) return () => (r0 + r1) / 2;
  return (v) => r0 + (v - d0) / span * (r1 - r0);
}
function extent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}
function cleanPoints(points) {
  return points.map((p) => ({ step: Number(p.step), wall_time: Number(p.wall_time), value: p.value === null ? NaN : Number(p.value) })).filter((p) => Number.isFinite(p.step)).sort((a, b) => a.step - b.step);
}
function nearestPoint(points, step) {
  if (points.length === 0) return -1;
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = lo + hi >> 1;
    if (points[mid].step < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && step - points[lo - 1].step <= points[lo].step - step) return lo - 1;
  return lo;
}
function pointAtOrBefore(points, step) {
  if (step === null) return points.length - 1;
  let best = -1;
  for (let i = 0; i < points.length && points[i].step <= step; i++) best = i;
  return best;
}
function linePath(points, x, y) {
  const parts = [];
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.value)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? "L" : "M"}${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`);
    pen = true;
  }
  return parts.join(" ");
}
function lonePoints(points) {
  const defined = (i) => i >= 0 && i < points.length && Number.isFinite(points[i].value);
  return points.filter((_, i) => defined(i) && !defined(i - 1) && !defined(i + 1));
}
function rangeText(range) {
  if (range === null) return "";
  const [lo, hi] = range;
  if (lo === hi) return `flat at ${formatValue(lo)}`;
  for (let digits = 3; digits < 8; digits++) {
    const [a, b] = [formatValue(lo, digits), formatValue(hi, digits)];
    if (a !== b) return `${a} to ${b}`;
  }
  return `${formatValue(lo, 8)} to ${formatValue(hi, 8)}`;
}
var W = 180;
var H = 48;
var PAD = 4;
function metricChart(name, raw, step, hover, color) {
  const points = cleanPoints(raw);
  const steps = extent(points.map((p) => p.step)) ?? [0, 0];
  const finite = extent(points.map((p) => p.value));
  const values = finite ?? [0, 0];
  const x = linearScale(steps, [PAD, W - PAD]);
  const y = linearScale(values, [H - PAD, PAD]);
  const at = pointAtOrBefore(points, step);
  const current = at >= 0 ? points[at] : null;
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": `${name} over steps` });
  chart.appendChild(svg("path", { d: linePath(points, x, y), fill: "none", stroke: color, "stroke-width": 1.5 }));
  for (const p of lonePoints(points)) chart.appendChild(svg("circle", { cx: x(p.step), cy: y(p.value), r: 2, fill: color }));
  if (current) {
    const cx = x(current.step);
    chart.appendChild(svg("line", { x1: cx, x2: cx, y1: 0, y2: H, class: "step-mark" }));
    if (Number.isFinite(current.value)) chart.appendChild(svg("circle", { cx, cy: y(current.value), r: 2.5, fill: color }));
  }
  const dot = svg("circle", { r: 3, class: "hover-dot", visibility: "hidden" });
  chart.appendChild(dot);
  chart.addEventListener("mousemove", (ev) => {
    const rect = chart.getBoundingClientRect();
    if (rect.width === 0 || points.length === 0) return;
    const sx = (ev.clientX - rect.left) / rect.width * W;
    const s = steps[0] + (sx - PAD) / (W - 2 * PAD) * (steps[1] - steps[0]);
    const p = points[nearestPoint(points, s)];
    dot.setAttribute("cx", String(x(p.step)));
    dot.setAttribute("cy", String(Number.isFinite(p.value) ? y(p.value) : H / 2));
    dot.setAttribute("visibility", "visible");
    hover.show(`${name} ${formatValue(p.value)} at step ${p.step}`, ev);
  });
  chart.addEventListener("mouseleave", () => {
    dot.setAttribute("visibility", "hidden");
    hover.hide();
  });
  const value = current ? `${formatValue(current.value)} at step ${current.step}` : "no value yet";
  return h(
    "figure",
    { className: "metric", dataset: { metric: name } },
    h("figcaption", {}, h("span", { className: "metric-name" }, name), " ", h("span", { className: "metric-value" }, value)),
    chart,
    h("div", { className: "metric-range", attrs: { title: "the chart's vertical range" } }, rangeText(finite))
  );
}
function metricsCharts(metrics, step, hover, color) {
  const names = Object.keys(metrics).filter((n) => Array.isArray(metrics[n]) && metrics[n].length > 0).sort();
  if (names.length === 0) return null;
  return h("div", { className: "metrics", attrs: { role: "group", "aria-label": "Metrics" } }, ...names.map((n) => metricChart(n, metrics[n], step, hover, color)));
}

// src/render/samples.ts
function knownSamples(ctx, series) {
  const manifests = series.flatMap((s) => ctx.api.peekSeries(s.run, s.tag)?.steps.map((e) => e.manifest.items) ?? []);
  const known = new Set(sampleOptions(manifests));
  for (const s of series) {
    const n = s.info.inputs_tag ? ctx.tags.runs[s.run]?.[s.info.inputs_tag]?.samples : null;
    for (let i = 0; i < (n ?? 0); i++) known.add(i);
  }
  return [...known].sort((a, b) => a - b);
}

// src/render/filmstrip.ts
function centreCurrent(strip) {
  const cur = strip.querySelector(".current");
  if (cur) strip.scrollLeft = cur.offsetLeft - (strip.clientWidth - cur.clientWidth) / 2;
}
async function fill(ctx, s, block2, ph, stepLabel, step, sample, look) {
  let data;
  let metrics;
  try {
    [data, metrics] = await Promise.all([loadBlock(ctx, s), ctx.api.metrics(s.run, s.tag).catch(() => null)]);
  } catch (e) {
    blockFailed(block2, ph, e);
    return;
  }
  const entries = data.steps;
  stepLabel.textContent = `${entries.length} steps`;
  const own = snapStep(
    entries.map((e) => e.step),
    step
  );
  const strip = h("div", { className: "filmstrip", attrs: { role: "list" } });
  const shown = [];
  const parts = [];
  for (const entry of entries) {
    const i = visibleItems(ctx, entry).find((j) => entry.manifest.items[j].sample === sample);
    if (i === void 0) continue;
    const { lines, correct } = captionLines(entry.manifest.items[i], predictedBySample(entry.manifest.items), entry.manifest.target_name);
    const part = rowPart(ctx, { s, entry, i, lines, caption: [`step ${entry.step}`, ...lines.slice(1, 3)], correct }, look);
    part.el.classList.add("frame");
    part.el.setAttribute("role", "listitem");
    part.el.dataset.step = String(entry.step);
    if (entry.step === own) {
      part.el.classList.add("current");
      part.el.setAttribute("aria-current", "step");
    }
    ctx.lazy.add(part.el, part.load, strip);
    strip.appendChild(part.el);
    shown.push(entry);
    parts.push(part);
  }
  if (!strip.firstChild) strip.appendChild(empty(`Sample ${sample} is not in this series (or filtered out).`));
  const children = [];
  const skipped = skippedStepsNote(data.skipped);
  if (skipped) children.push(skipped);
  const charts = metrics ? metricsCharts(metrics, own, ctx.hover, runColor(s.run, ctx.allRuns)) : null;
  if (charts) children.push(charts);
  children.push(...blockControls(shown, parts), strip);
  ph.replaceWith(...children);
  block2.dataset.loaded = "true";
  centreCurrent(strip);
}
var filmstripView = {
  series: explainSeries,
  async render(ctx, step) {
    const series = explainSeries(ctx);
    const root = h("div", { className: "filmstrip-view" });
    if (series.length === 0) {
      root.appendChild(empty("No explanations in the selected runs."));
      return root;
    }
    const all = ctx.state.scale === "shared" ? await loadSeries(ctx, series) : null;
    const samples = knownSamples(ctx, series);
    const sample = effectiveSample(ctx, samples);
    root.appendChild(h("div", { className: "view-controls" }, sampleSelect(ctx, samples)));
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, all ? rangeOver(all, (it) => it.sample === sample) : null);
    root.appendChild(legend(look, signed));
    for (const s of series) {
      const ph = h("div", { className: "strip-placeholder", attrs: { "aria-hidden": "true" } });
      const { block: block2, stepLabel } = seriesSection(ctx, s, s.info.display_name || s.tag, ph);
      ctx.lazy.add(block2, () => fill(ctx, s, block2, ph, stepLabel, step, sample, look));
      root.appendChild(block2);
    }
    return root;
  }
};

// src/render/large.ts
function safeFileName(stem) {
  return stem.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "").slice(0, 180) || "tbexplain";
}
function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { attrs: { href: url, download: name }, style: { display: "none" } });
  document.body.appendChild(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 6e4);
}
function button(id, text, onClick) {
  const b = h("button", { attrs: { type: "button", id } }, text);
  b.addEventListener("click", onClick);
  return b;
}
function openLarge(v, hover) {
  document.querySelector(".modal")?.remove();
  const close = h("button", { attrs: { type: "button", id: "large-close", "aria-label": "Close" } }, "Close");
  const canvas = h("canvas", { className: "heat", attrs: { role: "img", "aria-label": v.title, id: "large-canvas" } });
  const src = v.src;
  const look = v.look;
  let frames = null;
  if (src && look) {
    let frame = v.frame ?? 0;
    paintHeat(canvas, src, look, frame);
    canvas.addEventListener("mousemove", (ev) => {
      const r = valueAt(canvas, src, ev, frame);
      if (r) hover.show(hoverText(r, src, frame), ev);
      else hover.hide();
    });
    canvas.addEventListener("mouseleave", () => hover.hide());
    if (src.depth > 1) {
      frames = frameControls(
        src.depth,
        (k) => {
          frame = k;
          paintHeat(canvas, src, look, k);
        },
        frame
      );
    }
  } else if (v.bitmap) {
    canvas.width = v.bitmap.width;
    canvas.height = v.bitmap.height;
    canvas.getContext("2d")?.drawImage(v.bitmap, 0, 0);
  }
  const file = safeFileName(v.file);
  const downloads = h("p", { className: "downloads" });
  downloads.appendChild(
    button("download-png", src ? "Download overlay (PNG)" : "Download image (PNG)", () => {
      canvas.toBlob((blob) => {
        if (blob) save(blob, `${file}.png`);
      }, "image/png");
    })
  );
  if (src) {
    const shape = src.shape;
    downloads.append(
      " ",
      button("download-npy", "Download raw map (.npy)", () => {
        const bytes = npyFloat32(rawMap(src.heat.data, src.item), shape);
        save(new Blob([bytes], { type: "application/octet-stream" }), `${file}.npy`);
      })
    );
  }
  const info = h("div", {}, h("div", { className: "run-chip" }, v.title), ...v.lines.map((l) => h("div", {}, l)), frames);
  if (src?.baseError) info.appendChild(h("div", { className: "note" }, `input image not shown: ${src.baseError}`));
  info.append(downloads, h("p", {}, close));
  const modal = h("div", { className: "modal", attrs: { role: "dialog", "aria-modal": "true", "aria-label": v.title } }, h("div", { className: "modal-box" }, canvas, info));
  modal.addEventListener("click", (ev) => {
    if (ev.target === modal) modal.remove();
  });
  close.addEventListener("click", () => modal.remove());
  document.body.appendChild(modal);
  close.focus();
}

// src/runlist.ts
var RUN_LIST_MAX = 200;
var RunList = class {
  constructor(onChange) {
    this.onChange = onChange;
    this.filter = h("input", {
      attrs: { type: "search", id: "run-filter", placeholder: "Filter runs (regex)", "aria-label": "Filter runs (regex)" }
    });
    this.list = h("ul", { className: "runs", attrs: { id: "run-list", "aria-label": "Runs" } });
    this.count = h("span", { className: "muted", attrs: { id: "run-count", "aria-live": "polite" } });
    this.all = [];
    this.current = { runs: null, runFilter: "" };
    this.filter.addEventListener("input", () => this.onChange({ runFilter: this.filter.value }));
    const btn = (id, text, title, fn) => {
      const b = h("button", { attrs: { type: "button", id, title } }, text);
      b.addEventListener("click", fn);
      return b;
    };
    const buttons = h(
      "div",
      { className: "row" },
      btn("runs-all", "All", "Select every run", () => this.onChange({ runs: null })),
      " ",
      btn("runs-none", "None", "Select no run", () => this.onChange({ runs: [] })),
      " ",
      btn(
        "runs-matching",
        "Select matching",
        "Add every run matching the filter to the selection",
        () => this.onChange({ runs: selectMatching(this.all, this.current.runs, this.current.runFilter) })
      )
    );
    this.element = h("div", { className: "run-section" }, h("h2", {}, "Runs ", this.count), this.filter, buttons, this.list);
  }
  update(all, sel) {
    this.all = all;
    this.current = sel;
    if (this.filter.value !== sel.runFilter) this.filter.value = sel.runFilter;
    const visible = filterRuns(all, sel.runFilter);
    const active = new Set(activeRuns(all, sel.runs, sel.runFilter));
    this.count.textContent = `${active.size} of ${all.length}`;
    replaceChildren(this.list);
    for (const run of visible.slice(0, RUN_LIST_MAX)) {
      const box2 = h("input", { attrs: { type: "checkbox", "data-run": run } });
      box2.checked = active.has(run);
      box2.addEventListener("change", () => this.onChange({ runs: toggleRun(this.all, this.current.runs, run, box2.checked) }));
      this.list.appendChild(
        h("li", {}, h("label", {}, box2, h("span", { className: "swatch", style: { background: runColor(run, all) } }), h("span", { className: "run-name" }, run)))
      );
    }
    if (visible.length > RUN_LIST_MAX) {
      this.list.appendChild(h("li", { className: "muted", attrs: { id: "runs-more" } }, `and ${visible.length - RUN_LIST_MAX} more matching runs: refine the filter to see them`));
    }
    if (visible.length === 0) this.list.appendChild(h("li", { className: "muted" }, all.length ? "No run matches the filter." : "No runs yet."));
  }
};

// src/state.ts
var DEFAULT_VIEW = "browse";
var MAX_VIEW_ID = 40;
var OWN_KEY = /^[a-z][a-z0-9_]{0,15}$/;
var MAX_OWN_VALUE = 500;
var MAX_OWN = 16;
var DEFAULT_STATE = Object.freeze({
  view: DEFAULT_VIEW,
  runs: null,
  runFilter: "",
  method: "",
  layer: "",
  classId: null,
  label: null,
  correctness: "all",
  step: null,
  opacity: 0.6,
  colormap: "auto",
  scale: "map",
  sample: 0,
  mask: true,
  own: Object.freeze({})
});
function defaultState() {
  return { ...DEFAULT_STATE, runs: null, own: {} };
}
function update(state, patch) {
  return { ...state, ...patch };
}
function intOrNull(s) {
  if (s === null || s === "" || !/^-?\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}
function encodeState(state) {
  const p = new URLSearchParams();
  const d = DEFAULT_STATE;
  if (state.view !== d.view) p.set("view", state.view);
  if (state.runs !== null) p.set("runs", JSON.stringify(state.runs));
  if (state.runFilter) p.set("rf", state.runFilter);
  if (state.method) p.set("m", state.method);
  if (state.layer) p.set("l", state.layer);
  if (state.classId !== null) p.set("c", String(state.classId));
  if (state.label !== null) p.set("lab", String(state.label));
  if (state.correctness !== d.correctness) p.set("ok", state.correctness);
  if (state.step !== null) p.set("s", String(state.step));
  if (state.opacity !== d.opacity) p.set("op", String(state.opacity));
  if (state.colormap !== d.colormap) p.set("cm", state.colormap);
  if (state.scale !== d.scale) p.set("sc", state.scale);
  if (state.sample !== d.sample) p.set("smp", String(state.sample));
  if (state.mask !== d.mask) p.set("mk", state.mask ? "1" : "0");
  for (const [key, value] of Object.entries(state.own)) if (isOwn(key, value) && value) p.set(key, value);
  return p.toString();
}
var SHARED_KEYS = /* @__PURE__ */ new Set(["view", "runs", "rf", "m", "l", "c", "lab", "ok", "s", "op", "cm", "sc", "smp", "mk"]);
function isOwn(key, value) {
  return !SHARED_KEYS.has(key) && OWN_KEY.test(key) && value.length <= MAX_OWN_VALUE;
}
function decodeState(text) {
  const s = defaultState();
  const p = new URLSearchParams(text.startsWith("#") ? text.slice(1) : text);
  const view = p.get("view");
  if (view && view.length <= MAX_VIEW_ID) s.view = view;
  const runs = p.get("runs");
  if (runs !== null) {
    try {
      const parsed = JSON.parse(runs);
      if (Array.isArray(parsed) && parsed.every((r) => typeof r === "string")) s.runs = parsed;
    } catch {
    }
  }
  s.runFilter = p.get("rf") ?? "";
  s.method = p.get("m") ?? "";
  s.layer = p.get("l") ?? "";
  s.classId = intOrNull(p.get("c"));
  s.label = intOrNull(p.get("lab"));
  const ok = p.get("ok");
  if (ok === "correct" || ok === "incorrect") s.correctness = ok;
  s.step = intOrNull(p.get("s"));
  const op = Number(p.get("op"));
  if (p.has("op") && Number.isFinite(op) && op >= 0 && op <= 1) s.opacity = op;
  const cm = p.get("cm");
  if (cm && (cm === "auto" || isColormapName(cm))) s.colormap = cm;
  const sc = p.get("sc");
  if (sc === "shared" || sc === "map") s.scale = sc;
  const smp = intOrNull(p.get("smp"));
  if (smp !== null && smp >= 0) s.sample = smp;
  const mk = p.get("mk");
  if (mk === "0" || mk === "1") s.mask = mk === "1";
  const own = {};
  for (const [key, value] of p) if (isOwn(key, value) && Object.keys(own).length < MAX_OWN) own[key] = value;
  s.own = own;
  return s;
}
var STORAGE_KEY = "tbexplain.state.v1";
function loadState(hash, store) {
  if (hash && hash !== "#") return decodeState(hash);
  try {
    const saved = store?.getItem(STORAGE_KEY);
    if (saved) return decodeState(saved);
  } catch {
  }
  return defaultState();
}
function saveState(state, store) {
  const text = encodeState(state);
  try {
    store?.setItem(STORAGE_KEY, text);
  } catch {
  }
  return text;
}

// src/theme.ts
function watchTheme(apply) {
  let parentBody = null;
  try {
    if (window.parent !== window) parentBody = window.parent.document.body;
  } catch {
    parentBody = null;
  }
  if (parentBody) {
    const body = parentBody;
    const read = () => apply(body.classList.contains("dark-mode"));
    read();
    new MutationObserver(read).observe(body, { attributes: true, attributeFilter: ["class"] });
    return;
  }
  const mq = typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  apply(!!mq?.matches);
  mq?.addEventListener("change", (e) => apply(e.matches));
}

// src/render/view.ts
function ownValue(ctx, key, fallback = "") {
  return ctx.state.own[key] ?? fallback;
}
function setOwnValue(ctx, key, value) {
  ctx.set({ own: { ...ctx.state.own, [key]: value } });
}

// src/render/activations.ts
var TAG_KEY = { activations: "act", filters: "flt" };
function chosen(ctx, kind) {
  const all = seriesOfKind(ctx.tags, ctx.runs, kind);
  const names = distinct(all.map((s) => s.tag));
  const tag = pick(names, ownValue(ctx, TAG_KEY[kind]));
  const layerOf = new Map(all.map((s) => [s.tag, s.info.layer]));
  return {
    tags: names.map((t) => ({ tag: t, text: layerOf.get(t) ? `${layerOf.get(t)} (${t})` : t })),
    tag,
    series: all.filter((s) => s.tag === tag)
  };
}
function channelCells(ctx, s, data, step, sample, look, cells) {
  const entry = entryAtOrBefore(data.steps, step);
  if (!entry) return [];
  const items = entry.manifest.items;
  const bare = { ...s, info: { ...s.info, inputs_tag: "" } };
  return items.flatMap((it, i) => {
    if (it.sample !== sample) return [];
    const lines = [`channel ${it.channel ?? "?"}`, `mean ${formatValue(Number(it.mean ?? NaN))}`, `range [${formatValue(Number(it.min))}, ${formatValue(Number(it.max))}]`];
    const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step} · sample ${sample}`;
    const canvas = emptyHeatCanvas(`${title} · ${lines[0]}`, true, entry.tile);
    const file = `${s.run}_${s.tag}_step${entry.step}_sample${sample}_channel${it.channel ?? i}`;
    cells.appendChild(h("figure", { className: "cell" }, canvas, caption(lines, null)));
    return [
      heatSource(ctx, bare, entry, i).then(
        (src) => void bindHeat(canvas, src, look, ctx.hover, () => ctx.openLarge({ title: `${title} · ${lines[0]}`, lines, src, look, file })),
        (err) => markBroken(canvas, title, err)
      )
    ];
  });
}
function filterCells(ctx, s, data, step, cells) {
  const entry = entryAtOrBefore(data.steps, step);
  if (!entry) return [];
  return entry.manifest.items.map((it, i) => {
    const lines = [`filter ${it.filter ?? i}`];
    if (it.objective !== void 0) lines.push(`objective ${formatValue(Number(it.objective))}`);
    const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step}`;
    const slot = h("canvas", { className: "heat plain", attrs: { role: "img", "aria-label": `${title} · ${lines[0]}` } });
    cells.appendChild(h("figure", { className: "cell" }, slot, caption(lines, null)));
    const file = `${s.run}_${s.tag}_step${entry.step}_filter${it.filter ?? i}`;
    return ctx.images.bitmap(entry.images[i]).then(
      (bmp) => slot.replaceWith(bitmapCanvas(bmp, `${title} · ${lines[0]}`, () => ctx.openLarge({ title, lines, bitmap: bmp, file }))),
      (err) => markBroken(slot, title, err)
    );
  });
}
function makeView(kind) {
  return {
    series: (ctx) => chosen(ctx, kind).series,
    async render(ctx, step) {
      const { tags, tag, series } = chosen(ctx, kind);
      const root = h("div", { className: `${kind}-view` });
      if (series.length === 0) {
        root.appendChild(empty(kind === "activations" ? "No activations logged in the selected runs (tbexplain.Activations)." : "No filter visualisations logged in the selected runs (tbexplain.FilterVisualization)."));
        return root;
      }
      const controls = h("div", { className: "view-controls" }, tagSelect("Layer", tags, tag, (t) => setOwnValue(ctx, TAG_KEY[kind], t), `${kind}-tag`));
      root.appendChild(controls);
      let sample = 0;
      let look = null;
      if (kind === "activations") {
        const samples = knownSamples(ctx, series);
        sample = effectiveSample(ctx, samples);
        controls.appendChild(sampleSelect(ctx, samples));
        const all = ctx.state.scale === "shared" ? await loadSeries(ctx, series) : [];
        look = {
          table: lut(resolveColormap(ctx.state.colormap === "bwr" ? "viridis" : ctx.state.colormap, false)),
          opacity: 1,
          scale: ctx.state.scale,
          shared: null
        };
        const shared = new Map(series.map((s, k) => [s.run, all.length ? rangeOver([all[k]], (it) => it.sample === sample) : null]));
        for (const s of series) {
          const l = { ...look, shared: shared.get(s.run) ?? null };
          root.appendChild(block(ctx, s, step, (data, cells) => channelCells(ctx, s, data, step, sample, l, cells)));
        }
        return root;
      }
      for (const s of series) root.appendChild(block(ctx, s, step, (data, cells) => filterCells(ctx, s, data, step, cells)));
      return root;
    }
  };
}
function block(ctx, s, step, cellsOf) {
  const ph = placeholderCells(ctx, kindCells(ctx, s));
  const { block: el, stepLabel } = seriesSection(ctx, s, s.info.layer || s.tag, ph);
  ctx.lazy.add(el, async () => {
    let data;
    try {
      data = await loadBlock(ctx, s);
    } catch (e) {
      blockFailed(el, ph, e);
      return;
    }
    const entry = entryAtOrBefore(data.steps, step);
    stepLabel.textContent = entry ? `step ${entry.step}` : "no steps";
    const cells = h("div", { className: "cells" });
    const paints = cellsOf(data, cells);
    if (entry && !cells.firstChild) cells.appendChild(empty("Nothing logged for this sample at this step."));
    const skipped = skippedStepsNote(data.skipped);
    ph.replaceWith(...skipped ? [skipped, cells] : [cells]);
    el.dataset.loaded = "true";
    await Promise.all(paints);
  });
  return el;
}
function kindCells(ctx, s) {
  if (s.info.kind === "filters") return s.info.samples;
  const probe = s.info.inputs_tag ? ctx.tags.runs[s.run]?.[s.info.inputs_tag]?.samples : null;
  return s.info.samples && probe ? Math.ceil(s.info.samples / probe) : null;
}
var activationsView = makeView("activations");
var filtersView = makeView("filters");

// src/render/compare.ts
var COMPARE_MAX_RUNS = 8;
function compared(ctx) {
  const runs = ctx.runs.slice(0, COMPARE_MAX_RUNS);
  const keep = new Set(runs);
  return { series: explainSeries(ctx).filter((s) => keep.has(s.run)), runs };
}
async function fill2(ctx, tag, cols, section, ph, step) {
  let data;
  try {
    data = await loadSeries(ctx, cols);
  } catch (e) {
    ph.replaceWith(note(`could not load ${tag}: ${e.message}`, { failed: "true" }));
    return;
  }
  const signed = cols.some((s) => s.info.signed);
  const look = lookFor(ctx, signed, rangeOver(data));
  const at = data.map((d) => entryAtOrBefore(d.steps, step));
  const keyed = at.map((e) => e ? rowKeys(e.manifest.items, visibleItems(ctx, e)) : /* @__PURE__ */ new Map());
  const rows = alignRows(keyed);
  const grid = h("div", { className: "compare", style: { "grid-template-columns": `repeat(${cols.length}, minmax(var(--cell), max-content))` }, dataset: { tag } });
  cols.forEach((s, c) => {
    grid.appendChild(h("div", { className: "col-head", dataset: { run: s.run } }, runChip(ctx, s.run), h("div", { className: "step-label" }, at[c] ? `step ${at[c].step}` : "no steps")));
  });
  const parts = [];
  for (const rk of rows) {
    cols.forEach((s, c) => {
      const e = at[c];
      const i = keyed[c].get(rk);
      if (!e || i === void 0) {
        grid.appendChild(h("div", { className: "empty" }, "—"));
        return;
      }
      const { lines, correct } = captionLines(e.manifest.items[i], predictedBySample(e.manifest.items), e.manifest.target_name);
      const part = rowPart(ctx, { s, entry: e, i, lines, correct }, look);
      part.el.dataset.run = s.run;
      grid.appendChild(part.el);
      parts.push(part);
    });
  }
  const shown = at.filter((e) => e !== null);
  ph.replaceWith(legend(look, signed), ...blockControls(shown, parts), grid);
  section.dataset.loaded = "true";
  await Promise.all(parts.map((p) => p.load()));
}
var compareView = {
  series: (ctx) => compared(ctx).series,
  async render(ctx, step) {
    const { series, runs } = compared(ctx);
    const root = h("div", { className: "compare-view" });
    if (ctx.runs.length < 2) root.appendChild(empty("Select two or more runs to compare them side by side."));
    if (ctx.runs.length > runs.length) {
      root.appendChild(note(`Comparing the first ${runs.length} of ${ctx.runs.length} selected runs; select fewer runs (or filter them) to choose which.`, { capped: "true" }));
    }
    if (series.length === 0) {
      root.appendChild(empty("No explanations in the selected runs."));
      return root;
    }
    const byTag = /* @__PURE__ */ new Map();
    for (const s of series) byTag.set(s.tag, [...byTag.get(s.tag) ?? [], s]);
    for (const [tag, cols] of byTag) {
      const ph = placeholderCells(ctx, 1);
      const section = h("section", { className: "series", dataset: { tag, loaded: "false" } }, h("div", { className: "series-head" }, h("span", { className: "tag" }, tag)), ph);
      ctx.lazy.add(section, () => fill2(ctx, tag, cols, section, ph, step));
      root.appendChild(section);
    }
    return root;
  }
};

// src/render/matrix.ts
var ROW_PX = 16;
var MAX_COL_PX = 28;
var MIN_COL_PX = 4;
var MAX_WIDTH_PX = 560;
function ownColumnRange(m, fromZero) {
  return (c) => {
    const r = columnRange(m, c);
    return r && fromZero ? { min: 0, max: r.max } : r;
  };
}
function matrixView(m, o) {
  const cols = m.cols.length;
  const rows = m.rows.length;
  const colPx = Math.max(MIN_COL_PX, Math.min(MAX_COL_PX, Math.floor(MAX_WIDTH_PX / Math.max(1, cols))));
  const canvas = h("canvas", { className: "matrix-canvas", attrs: { role: "img", "aria-label": o.label }, style: { width: `${cols * colPx}px`, height: `${rows * ROW_PX}px` } });
  canvas.width = Math.max(1, cols);
  canvas.height = Math.max(1, rows);
  const c2d = canvas.getContext("2d");
  if (c2d && cols > 0 && rows > 0) {
    const img = c2d.createImageData(cols, rows);
    img.data.set(matrixPixels(m, o.rangeOf, o.signed, o.table));
    c2d.putImageData(img, 0, 0);
  }
  canvas.dataset.painted = "true";
  canvas.addEventListener("mousemove", (ev) => {
    const rect = canvas.getBoundingClientRect();
    const c = Math.floor((ev.clientX - rect.left) / rect.width * cols);
    const r = Math.floor((ev.clientY - rect.top) / rect.height * rows);
    if (c < 0 || r < 0 || c >= cols || r >= rows) return o.hover.hide();
    const v = m.values[r * cols + c];
    o.hover.show(`${o.rowName} ${m.rows[r]} · step ${m.cols[c]}: ${o.valueName} ${Number.isFinite(v) ? formatValue(v) : "not logged"}`, ev);
  });
  canvas.addEventListener("mouseleave", () => o.hover.hide());
  const plot = h("div", { className: "matrix-plot" }, canvas);
  if (o.current !== null && o.current >= 0 && o.current < cols) {
    plot.appendChild(h("div", { className: "matrix-current", attrs: { "aria-hidden": "true" }, style: { left: `${o.current * colPx}px`, width: `${colPx}px` } }));
  }
  const labels = h("div", { className: "matrix-rows", attrs: { "aria-hidden": "true" } }, ...m.rows.map((r) => h("div", { style: { height: `${ROW_PX}px` } }, r)));
  const every = Math.max(1, Math.ceil(cols / 10));
  const steps = h(
    "div",
    { className: "matrix-steps", attrs: { "aria-hidden": "true" } },
    ...m.cols.map((s, c) => h("span", { style: { width: `${colPx}px` } }, c % every === 0 ? String(s) : ""))
  );
  return h(
    "figure",
    { className: "matrix", dataset: { rows: String(rows), cols: String(cols) } },
    h("div", { className: "matrix-grid" }, labels, plot, h("span", {}), steps),
    h("figcaption", {}, o.label)
  );
}

// src/render/features.ts
var LAYOUTS = ["features"];
async function importance(ctx, s, data) {
  const perStep = await Promise.all(
    data.steps.map(async (entry) => {
      const idx = visibleItems(ctx, entry);
      const rows = await Promise.all(idx.map((i) => ctx.images.gray(entry.images[i]).then((g) => rawMap(g.data, entry.manifest.items[i]))));
      return meanAbsolute(rows);
    }).map((p) => p.catch(() => null))
  );
  const width = Math.max(0, ...perStep.map((v) => v?.length ?? 0));
  const names = featureNames(ctx, s);
  const cols = data.steps.length;
  const values = new Float64Array(width * cols).fill(NaN);
  perStep.forEach((v, c) => v?.forEach((x, r) => values[r * cols + c] = x));
  return { rows: Array.from({ length: width }, (_, r) => names[r] || `feature ${r}`), cols: data.steps.map((e) => e.step), values };
}
function magnitudeRange(ms) {
  let hi = -Infinity;
  for (const m of ms) for (const v of m.values) if (Number.isFinite(v) && v > hi) hi = v;
  return hi >= 0 ? { min: 0, max: hi } : null;
}
async function loadImportance(ctx, s) {
  const data = await loadBlock(ctx, s);
  return { data, matrix: await importance(ctx, s, data) };
}
async function fill3(ctx, s, loaded, block2, ph, stepLabel, step, look, shared) {
  let got;
  try {
    got = await loaded;
  } catch (e) {
    blockFailed(block2, ph, e);
    return;
  }
  const { data, matrix } = got;
  const entry = entryAtOrBefore(data.steps, step);
  stepLabel.textContent = entry ? `step ${entry.step}` : "no steps";
  const parts = [];
  const skipped = skippedStepsNote(data.skipped);
  if (skipped) parts.push(skipped);
  const own = snapStep(matrix.cols, step);
  const table = lut(resolveColormap(ctx.state.colormap === "bwr" ? "viridis" : ctx.state.colormap, false));
  if (matrix.cols.length > 0) {
    parts.push(
      matrixView(matrix, {
        rangeOf: shared ? () => shared : ownColumnRange(matrix, true),
        signed: false,
        table,
        hover: ctx.hover,
        rowName: "feature",
        valueName: "mean |attribution|",
        current: own === null ? null : matrix.cols.indexOf(own),
        label: `mean |attribution| over the samples, per step (${shared ? `0 to ${formatValue(shared.max)}, shared` : "each step its own range"})`
      })
    );
  }
  const cells = h("div", { className: "cells" });
  parts.push(cells);
  ph.replaceWith(...parts);
  block2.dataset.loaded = "true";
  if (!entry) return;
  const idx = visibleItems(ctx, entry);
  const predicted = predictedBySample(entry.manifest.items);
  const paints = idx.map((i) => {
    const { lines, correct } = captionLines(entry.manifest.items[i], predicted, entry.manifest.target_name);
    const part = rowPart(ctx, { s, entry, i, lines, correct }, look);
    cells.appendChild(part.el);
    return part.load();
  });
  if (idx.length === 0) cells.appendChild(empty("No samples match the filters at this step."));
  await Promise.all(paints);
}
var featuresView = {
  series: (ctx) => explainSeries(ctx, LAYOUTS),
  async render(ctx, step) {
    const series = explainSeries(ctx, LAYOUTS);
    const root = h("div", { className: "features-view" });
    if (series.length === 0) {
      root.appendChild(empty("No feature attributions in the selected runs (a tabular model explained with tbexplain.ExplainCallback)."));
      return root;
    }
    const sharedScale = ctx.state.scale === "shared";
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, sharedScale ? rangeOver(await loadSeries(ctx, series)) : null);
    const loads = sharedScale ? series.map((s) => loadImportance(ctx, s)) : null;
    const shared = loads ? magnitudeRange((await Promise.allSettled(loads)).flatMap((r) => r.status === "fulfilled" ? [r.value.matrix] : [])) : null;
    root.appendChild(legend(look, signed));
    const columns = h("div", { className: "feature-runs" });
    series.forEach((s, k) => {
      const ph = placeholderCells(ctx, s.info.samples);
      const { block: block2, stepLabel } = seriesSection(ctx, s, s.info.display_name || s.tag, ph);
      block2.classList.add("feature-run");
      ctx.lazy.add(block2, () => fill3(ctx, s, loads?.[k] ?? loadImportance(ctx, s), block2, ph, stepLabel, step, look, shared));
      columns.appendChild(block2);
    });
    root.appendChild(columns);
    return root;
  }
};

// src/render/grid.ts
function inputLabel(s) {
  return s.info.input_name || s.tag;
}
async function fill4(ctx, group, block2, ph, stepLabel, step, look) {
  let datas;
  try {
    datas = await Promise.all(group.map((s) => loadBlock(ctx, s)));
  } catch (e) {
    blockFailed(block2, ph, e);
    return;
  }
  const entries = datas.map((d) => entryAtOrBefore(d.steps, step));
  const shownSteps = [...new Set(entries.flatMap((e) => e ? [e.step] : []))];
  stepLabel.textContent = shownSteps.length ? `step ${shownSteps.join(", ")}` : "no steps";
  const cells = h("div", { className: "cells" });
  const notes = datas.flatMap((d, k) => {
    const n = skippedStepsNote(d.skipped);
    if (n && group.length > 1) n.prepend(`${inputLabel(group[k])}: `);
    return n ? [n] : [];
  });
  ph.replaceWith(...notes, cells);
  block2.dataset.loaded = "true";
  const keyed = entries.map((e) => e ? rowKeys(e.manifest.items, visibleItems(ctx, e)) : /* @__PURE__ */ new Map());
  const parts = [];
  for (const rk of alignRows(keyed)) {
    if (group.length === 1) {
      const e = entries[0];
      const i = keyed[0].get(rk);
      const { lines, correct } = captionLines(e.manifest.items[i], predictedBySample(e.manifest.items), e.manifest.target_name);
      const part = rowPart(ctx, { s: group[0], entry: e, i, lines, correct }, look);
      cells.appendChild(part.el);
      parts.push(part);
      continue;
    }
    const members = group.flatMap((s, k) => {
      const e = entries[k];
      const i = keyed[k].get(rk);
      return e && i !== void 0 ? [{ s, e, i }] : [];
    });
    const first = members[0];
    const head = captionLines(first.e.manifest.items[first.i], predictedBySample(first.e.manifest.items), first.e.manifest.target_name, false);
    const sampleBox = h("div", { className: "sample-group", dataset: { sample: rk.split(":")[0] } }, caption(head.lines, head.correct));
    for (const { s, e, i } of members) {
      const part = rowPart(ctx, { s, entry: e, i, lines: [inputLabel(s), ...rangeLines(e.manifest.items[i])], correct: null }, look);
      part.el.dataset.input = inputLabel(s);
      sampleBox.appendChild(part.el);
      parts.push(part);
    }
    cells.appendChild(sampleBox);
  }
  if (parts.length === 0 && entries.some((e) => e)) cells.appendChild(empty("No samples match the filters at this step."));
  cells.before(...blockControls(entries.flatMap((e) => e ? [e] : []), parts));
  await Promise.all(parts.map((p) => p.load()));
}
var gridView = {
  series: (ctx) => explainSeries(ctx),
  async render(ctx, step) {
    const series = explainSeries(ctx);
    const root = h("div", { className: "grid-view" });
    if (series.length === 0) {
      root.appendChild(empty("No explanations in the selected runs. Log some with tbexplain.ExplainCallback."));
      return root;
    }
    const signed = series.some((s) => s.info.signed);
    const shared = ctx.state.scale === "shared" ? rangeOver(await loadSeries(ctx, series)) : null;
    const look = lookFor(ctx, signed, shared);
    root.appendChild(legend(look, signed));
    for (const group of groupByRun(series)) {
      const s = group[0];
      const samples = Math.max(0, ...group.map((g) => g.info.samples ?? 0)) || null;
      const ph = placeholderCells(ctx, samples);
      const label = group.length === 1 ? s.info.display_name || s.tag : `${s.info.method}${s.info.layer ? ` · ${s.info.layer}` : ""} · inputs ${group.map(inputLabel).join(", ")}`;
      const { block: block2, stepLabel } = seriesSection(ctx, s, label, ph);
      if (group.length > 1) {
        block2.dataset.tag = group.map((g) => g.tag).join(" ");
        block2.dataset.group = "inputs";
      }
      ctx.lazy.add(block2, () => fill4(ctx, group, block2, ph, stepLabel, step, look));
      root.appendChild(block2);
    }
    return root;
  }
};

// src/render/pipeline.ts
function stageSeries(ctx) {
  const key = (run, tag) => JSON.stringify([run, tag]);
  const overlaid = /* @__PURE__ */ new Set();
  const regions = /* @__PURE__ */ new Set();
  for (const run of ctx.runs) {
    for (const info of Object.values(ctx.tags.runs[run] ?? {})) {
      if (info.kind !== "inputs" && info.inputs_tag) overlaid.add(key(run, info.inputs_tag));
      if (info.mask_tag) regions.add(key(run, info.mask_tag));
    }
  }
  const inputs = seriesOfKind(ctx.tags, ctx.runs, "inputs").filter((s) => !regions.has(key(s.run, s.tag)));
  const stages = inputs.filter((s) => !overlaid.has(key(s.run, s.tag)));
  return inWrittenOrder(stages.length > 0 ? stages : inputs, ctx.runs);
}
function inWrittenOrder(series, runs) {
  const rank = new Map(runs.map((r, i) => [r, i]));
  return [...series].sort(
    (a, b) => (rank.get(a.run) ?? 0) - (rank.get(b.run) ?? 0) || a.info.max_wall_time - b.info.max_wall_time || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0)
  );
}
async function fill5(ctx, run, stages, section, ph, step) {
  let data;
  try {
    data = await loadSeries(ctx, stages);
  } catch (e) {
    ph.replaceWith(note(`could not load this run's stages: ${e.message}`, { failed: "true" }));
    return;
  }
  const at = data.map((d) => entryAtOrBefore(d.steps, step));
  const samples = [...new Set(at.flatMap((e) => e ? e.manifest.items.map((it, i) => it.sample ?? i) : []))].sort((a, b) => a - b);
  const grid = h("div", { className: "compare", style: { "grid-template-columns": `repeat(${stages.length}, var(--cell))` } });
  stages.forEach((s, c) => {
    grid.appendChild(h("div", { className: "col-head" }, s.info.stage || s.tag, h("div", { className: "step-label muted" }, at[c] ? `step ${at[c].step}` : "no steps")));
  });
  const paints = [];
  for (const sample of samples) {
    stages.forEach((s, c) => {
      const e = at[c];
      const i = e ? e.manifest.items.findIndex((it2, j) => (it2.sample ?? j) === sample) : -1;
      if (!e || i < 0) {
        grid.appendChild(h("div", { className: "empty" }, "—"));
        return;
      }
      const it = e.manifest.items[i];
      const lines = [`sample ${sample}`];
      if (it.label_name !== void 0 || it.label !== void 0) lines.push(`label ${it.label_name ?? it.label}`);
      const title = `${run} · ${s.info.stage || s.tag} · step ${e.step}`;
      const slot = h("canvas", { className: "heat plain", attrs: { role: "img", "aria-label": `${title} · sample ${sample}` } });
      const file = `${run}_${s.tag}_step${e.step}_sample${sample}`;
      paints.push(
        ctx.images.bitmap(e.images[i]).then(
          (bmp) => slot.replaceWith(bitmapCanvas(bmp, `${title} · sample ${sample}`, () => ctx.openLarge({ title, lines, bitmap: bmp, file }))),
          (err) => markBroken(slot, title, err)
        )
      );
      grid.appendChild(h("figure", { className: "cell" }, slot, caption(lines, null)));
    });
  }
  const notes = data.map((d, c) => {
    const n = skippedStepsNote(d.skipped);
    if (n) n.prepend(`${stages[c].info.stage || stages[c].tag}: `);
    return n;
  });
  ph.replaceWith(...notes.filter((n) => n !== null), grid);
  section.dataset.loaded = "true";
  await Promise.all(paints);
}
var pipelineView = {
  series: stageSeries,
  async render(ctx, step) {
    const series = stageSeries(ctx);
    const root = h("div", { className: "pipeline-view" });
    if (series.length === 0) {
      root.appendChild(empty("No input pipeline stages logged in the selected runs."));
      return root;
    }
    for (const run of ctx.runs) {
      const stages = series.filter((s) => s.run === run);
      if (stages.length === 0) continue;
      const ph = placeholderCells(ctx, 1);
      const section = h("section", { className: "series", dataset: { run, loaded: "false" } }, h("div", { className: "series-head" }, runChip(ctx, run)), ph);
      ctx.lazy.add(section, () => fill5(ctx, run, stages, section, ph, step));
      root.appendChild(section);
    }
    return root;
  }
};

// src/render/text.ts
var LAYOUTS2 = ["tokens"];
async function sampleMatrix(ctx, s, entries, sample) {
  const cols = [];
  for (const entry of entries) {
    const i = visibleItems(ctx, entry).find((j) => entry.manifest.items[j].sample === sample);
    if (i !== void 0) cols.push({ entry, i });
  }
  const heats = await Promise.all(cols.map(({ entry, i }) => ctx.images.gray(entry.images[i]).catch(() => null)));
  const last = cols[cols.length - 1];
  const inputs = last ? await tokenInputs(ctx, s, last.entry.step, sample).catch(() => ({ tokens: null, present: null })) : { tokens: null, present: null };
  const width = Math.max(0, ...heats.map((g) => g?.width ?? 0));
  const positions = Array.from({ length: width }, (_, t) => t).filter((t) => !inputs.present || inputs.present[t] !== 0);
  const values = new Float64Array(positions.length * cols.length).fill(NaN);
  cols.forEach(({ entry, i }, c) => {
    const g = heats[c];
    if (!g) return;
    positions.forEach((t, r) => {
      if (t < g.width) values[r * cols.length + c] = rawValue(g.data[t], entry.manifest.items[i]);
    });
  });
  const rows = positions.map((t) => inputs.tokens?.[t] || `#${t}`);
  return { m: { rows, cols: cols.map((c) => c.entry.step), values }, items: cols.map(({ entry, i }) => entry.manifest.items[i]) };
}
async function fill6(ctx, s, block2, ph, stepLabel, step, sample, look, sampleLook) {
  let data;
  try {
    data = await loadBlock(ctx, s);
  } catch (e) {
    blockFailed(block2, ph, e);
    return;
  }
  const entry = entryAtOrBefore(data.steps, step);
  stepLabel.textContent = entry ? `step ${entry.step}` : "no steps";
  const rows = h("div", { className: "token-rows" });
  const over = h("div", { className: "over-steps" });
  const skipped = skippedStepsNote(data.skipped);
  ph.replaceWith(...skipped ? [skipped, rows, over] : [rows, over]);
  block2.dataset.loaded = "true";
  if (!entry) return;
  const idx = visibleItems(ctx, entry);
  const predicted = predictedBySample(entry.manifest.items);
  const parts = idx.map((i) => {
    const { lines, correct } = captionLines(entry.manifest.items[i], predicted, entry.manifest.target_name);
    const part = rowPart(ctx, { s, entry, i, lines, correct }, look);
    rows.appendChild(part.el);
    return part.load();
  });
  if (idx.length === 0) rows.appendChild(empty("No samples match the filters at this step."));
  const { m, items } = await sampleMatrix(ctx, s, data.steps, sample);
  if (m.cols.length === 0) {
    over.appendChild(empty(`Sample ${sample} is not in this series (or filtered out).`));
  } else {
    const own = snapStep(m.cols, step);
    over.appendChild(
      matrixView(m, {
        rangeOf: (c) => displayRange(items[c], sampleLook.scale, sampleLook.shared, s.info.signed),
        signed: s.info.signed,
        table: sampleLook.table,
        hover: ctx.hover,
        rowName: "token",
        valueName: "attribution",
        current: own === null ? null : m.cols.indexOf(own),
        label: `sample ${sample}: tokens x steps`
      })
    );
  }
  await Promise.all(parts);
}
var textView = {
  series: (ctx) => explainSeries(ctx, LAYOUTS2),
  async render(ctx, step) {
    const series = explainSeries(ctx, LAYOUTS2);
    const root = h("div", { className: "text-view" });
    if (series.length === 0) {
      root.appendChild(empty("No token attributions in the selected runs (a text model explained with tbexplain.ExplainCallback)."));
      return root;
    }
    const all = ctx.state.scale === "shared" ? await loadSeries(ctx, series) : null;
    const samples = knownSamples(ctx, series);
    const sample = effectiveSample(ctx, samples);
    root.appendChild(h("div", { className: "view-controls" }, sampleSelect(ctx, samples), h("span", { className: "muted" }, "the tokens x steps heatmap of each series is of this sample")));
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, all ? rangeOver(all) : null);
    const sampleLook = { ...look, shared: all ? rangeOver(all, (it) => it.sample === sample) : null };
    root.appendChild(legend(look, signed));
    for (const s of series) {
      const ph = placeholderCells(ctx, s.info.samples);
      const { block: block2, stepLabel } = seriesSection(ctx, s, s.info.display_name || s.tag, ph);
      ctx.lazy.add(block2, () => fill6(ctx, s, block2, ph, stepLabel, step, sample, look, sampleLook));
      root.appendChild(block2);
    }
    return root;
  }
};

// src/views.ts
var VIEWS = Object.freeze([
  { id: "browse", label: "Browse", impl: gridView, needs: ["explanation"] },
  { id: "epochs", label: "Over epochs", impl: filmstripView, needs: ["explanation"] },
  { id: "compare", label: "Compare runs", impl: compareView, needs: ["explanation"] },
  { id: "text", label: "Text", impl: textView, needs: ["explanation:tokens"] },
  { id: "features", label: "Features", impl: featuresView, needs: ["explanation:features"] },
  { id: "activations", label: "Activations", impl: activationsView, needs: ["activations"] },
  { id: "filters", label: "Filters", impl: filtersView, needs: ["filters"] },
  { id: "pipeline", label: "Pipeline", impl: pipelineView, needs: ["inputs"] }
]);
function viewSpec(id) {
  return VIEWS.find((v) => v.id === id);
}
function hasData(spec, present) {
  return spec.needs.some((k) => present.has(k));
}
function explanationLayouts(spec) {
  const layouts = (spec?.needs ?? []).flatMap((n) => n.startsWith("explanation:") ? [n.slice("explanation:".length)] : []);
  return layouts.length ? layouts : null;
}
function needsText(spec) {
  return spec.needs.map((n) => n.split(":").reverse().join(" ")).join(" or ");
}

// src/app.ts
var POLL_MS = 3e4;
function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
var App = class {
  constructor(root) {
    this.root = root;
    this.tags = null;
    this.api = new Api();
    this.images = new ImageCache();
    this.gen = 0;
    this.steps = [];
    this.playTimer = null;
    this.firstPaint = true;
    this.firstComplete = true;
    this.tagsVersion = 0;
    this.sidebarKey = "";
    this.facetKey = "";
    this.lazy = null;
    /** The current render's context and the series its slider offers. */
    this.shown = null;
    this.loadedQueued = false;
    this.sidebar = h("aside", { className: "sidebar", attrs: { "aria-label": "Selection" } });
    this.runList = new RunList((patch) => this.set(patch));
    this.facetBox = h("div", { attrs: { id: "facets" } });
    this.toolbar = h("div", { className: "toolbar", attrs: { role: "toolbar", "aria-label": "Views" } });
    this.slider = h("input", { attrs: { type: "range", id: "step-slider", min: 0, max: 0, value: 0, "aria-label": "Step" } });
    this.stepText = h("span", { className: "step-label", attrs: { id: "step-value", "aria-live": "polite" } });
    this.playButton = h("button", { attrs: { type: "button", id: "play", "aria-pressed": "false" } }, "Play");
    /** Whether segmentation maps show their target region; enabled when a selected series has one. */
    this.maskBox = h("input", { attrs: { type: "checkbox", id: "show-mask" } });
    this.content = h("div", { className: "content", attrs: { id: "view", "data-state": "loading", "data-testid": "view" } });
    /** Where a view is laid out (hidden) while its first screenful loads, so the old one stays shown. */
    this.stage = h("div", { className: "content stage", attrs: { "aria-hidden": "true" } });
    this.tooltip = h("div", { className: "tooltip", attrs: { id: "hover-value", role: "status", hidden: true } });
    this.status = h("span", { className: "muted", attrs: { id: "status" } });
    this.hover = {
      show: (text, ev) => {
        this.tooltip.textContent = text;
        this.tooltip.hidden = false;
        this.tooltip.style.left = `${ev.clientX + 12}px`;
        this.tooltip.style.top = `${ev.clientY + 12}px`;
      },
      hide: () => {
        this.tooltip.hidden = true;
      }
    };
    this.state = loadState(window.location.hash, storage());
  }
  start() {
    document.head.appendChild(h("style", {}, CSS));
    watchTheme((dark) => document.documentElement.classList.toggle("dark", dark));
    this.buildLayout();
    connectHost(() => void this.reload());
    window.setInterval(() => {
      if (document.visibilityState === "visible") void this.reload();
    }, POLL_MS);
    document.addEventListener("keydown", (ev) => this.onKey(ev));
    void this.reload();
  }
  // ---- state --------------------------------------------------------------
  set(patch) {
    this.state = update(this.state, patch);
    const text = saveState(this.state, storage());
    try {
      const url = new URL(window.location.href);
      url.hash = text;
      history.replaceState(null, "", url.href);
    } catch {
    }
    this.syncStaticControls();
    void this.refresh();
  }
  allRuns() {
    return Object.keys(this.tags?.runs ?? {}).sort();
  }
  // ---- layout -------------------------------------------------------------
  buildLayout() {
    const opacity = h("input", { attrs: { type: "range", id: "opacity", min: 0, max: 1, step: 0.05 } });
    opacity.value = String(this.state.opacity);
    opacity.addEventListener("input", () => this.set({ opacity: Number(opacity.value) }));
    const mask = this.maskBox;
    mask.checked = this.state.mask;
    mask.addEventListener("change", () => this.set({ mask: mask.checked }));
    replaceChildren(
      this.sidebar,
      this.runList.element,
      h("h2", {}, "Explanations"),
      this.facetBox,
      h("h2", {}, "Display"),
      h("label", { className: "field", attrs: { for: "opacity" } }, h("span", { className: "field-label" }, "Opacity"), opacity),
      select(
        "Colormap",
        [{ value: "auto", text: "auto (viridis / diverging if signed)" }, ...COLORMAPS.map((c) => ({ value: c.name, text: c.label }))],
        this.state.colormap,
        (v) => this.set({ colormap: v }),
        "colormap"
      ),
      select(
        "Scale",
        [
          { value: "map", text: "per map (own min/max)" },
          { value: "shared", text: "shared across steps and runs" }
        ],
        this.state.scale,
        (v) => this.set({ scale: v === "shared" ? "shared" : "map" }),
        "scale"
      ),
      h(
        "label",
        { className: "check", attrs: { for: "show-mask", title: "Segmentation maps: the region of the class they explain; outside it the map is dimmed" } },
        mask,
        "Show the target region"
      )
    );
    for (const v of VIEWS) {
      const b = h("button", { attrs: { type: "button", "data-view": v.id, "aria-pressed": "false" } }, v.label);
      b.addEventListener("click", () => this.set({ view: v.id }));
      this.toolbar.appendChild(b);
    }
    const reload = h("button", { attrs: { type: "button", id: "reload", title: "Reload data" } }, "Reload");
    reload.addEventListener("click", () => void this.reload());
    this.toolbar.append(h("span", { style: { flex: "1" } }), this.status, reload);
    this.slider.addEventListener("input", () => {
      const i = Number(this.slider.value);
      this.set({ step: i >= this.steps.length - 1 ? null : this.steps[i] ?? null });
    });
    this.playButton.addEventListener("click", () => this.togglePlay());
    const prev = h("button", { attrs: { type: "button", id: "step-prev", "aria-label": "Previous step" } }, "◀");
    prev.addEventListener("click", () => this.moveStep(-1));
    const next = h("button", { attrs: { type: "button", id: "step-next", "aria-label": "Next step" } }, "▶");
    next.addEventListener("click", () => this.moveStep(1));
    const stepbar = h("div", { className: "stepbar" }, h("label", { attrs: { for: "step-slider" } }, "Step"), prev, this.slider, next, this.stepText, this.playButton);
    const main = h("div", { className: "main" }, this.toolbar, stepbar, this.content, this.stage);
    replaceChildren(this.root, h("div", { className: "app" }, this.sidebar, main), this.tooltip);
    this.syncStaticControls();
  }
  syncStaticControls() {
    this.maskBox.checked = this.state.mask;
    for (const b of this.toolbar.querySelectorAll("button[data-view]")) {
      b.setAttribute("aria-pressed", String(b.dataset.view === this.state.view));
    }
    for (const [id, value] of [
      ["colormap", this.state.colormap],
      ["scale", this.state.scale]
    ]) {
      const el = this.sidebar.querySelector(`#${id}`);
      if (el && el.value !== value) el.value = value;
    }
  }
  /** Marks the view buttons (and the target region box) that have nothing to show in the selected runs. */
  syncViewButtons(ctx) {
    const present = /* @__PURE__ */ new Set();
    let regions = false;
    for (const run of ctx.runs) {
      for (const info of Object.values(ctx.tags.runs[run] ?? {})) {
        present.add(info.kind);
        if (info.layout) present.add(`${info.kind}:${info.layout}`);
        regions || (regions = Boolean(info.mask_tag));
      }
    }
    this.maskBox.disabled = !regions;
    this.maskBox.parentElement?.classList.toggle("muted", !regions);
    for (const b of this.toolbar.querySelectorAll("button[data-view]")) {
      const spec = viewSpec(b.dataset.view ?? "");
      const ok = !spec || hasData(spec, present);
      b.dataset.hasData = String(ok);
      b.title = ok || !spec ? "" : `No ${needsText(spec)} series in the selected runs`;
    }
  }
  /**
   * The method / layer facets (from /tags) and the class / label options
   * (from the manifests loaded so far; they grow as more series load).
   */
  buildFacets(ctx, force) {
    const layouts = explanationLayouts(viewSpec(this.state.view));
    const f = facets(facetSeries(ctx.tags, ctx.runs, layouts), this.state.method, this.state.layer);
    const manifests = explainSeries(ctx, layouts).flatMap((s) => this.api.peekSeries(s.run, s.tag)?.steps.map((e) => e.manifest) ?? []);
    const items = manifests.map((m) => m.items);
    const classes = classOptions(items, "class");
    const labels = classOptions(items, "label");
    const targets = distinct(manifests.flatMap((m) => m.target_name ? [m.target_name] : []));
    const key = JSON.stringify([f, classes, labels, targets, this.state.classId, this.state.label, this.state.correctness]);
    if (!force && key === this.facetKey) return;
    this.facetKey = key;
    const classSelect = classes.length === 0 && targets.length > 0 ? select("Target explained", targets.map((t) => ({ value: "", text: t })), "", () => void 0, "class-filter") : select(
      "Class explained",
      [{ value: "", text: "all classes" }, ...classes.map((c) => ({ value: String(c.id), text: c.name })), ...targets.map((t) => ({ value: "", text: t }))],
      this.state.classId === null ? "" : String(this.state.classId),
      (v) => this.set({ classId: v === "" ? null : Number(v) }),
      "class-filter"
    );
    const focused = document.activeElement?.id;
    replaceChildren(
      this.facetBox,
      select("Method", f.methods.map((m) => ({ value: m, text: m || "(none)" })), f.method, (v) => this.set({ method: v, layer: "" }), "method"),
      select("Layer", f.layers.map((l) => ({ value: l, text: l || "(input space)" })), f.layer, (v) => this.set({ layer: v }), "layer"),
      classSelect,
      select(
        "Label",
        [{ value: "", text: "all labels" }, ...labels.map((c) => ({ value: String(c.id), text: c.name }))],
        this.state.label === null ? "" : String(this.state.label),
        (v) => this.set({ label: v === "" ? null : Number(v) }),
        "label-filter"
      ),
      select(
        "Prediction",
        [
          { value: "all", text: "correct and incorrect" },
          { value: "correct", text: "correct only" },
          { value: "incorrect", text: "incorrect only" }
        ],
        this.state.correctness,
        (v) => this.set({ correctness: v === "correct" || v === "incorrect" ? v : "all" }),
        "correctness"
      )
    );
    if (focused && this.facetBox.querySelector(`#${focused}`)) document.getElementById(focused)?.focus();
  }
  /** Notes of the series /tags could not read, for the runs the filter shows. */
  skippedNotes() {
    const skipped = this.tags?.skipped ?? [];
    const runs = new Set(filterRuns([...new Set(skipped.map((s) => s.run))], this.state.runFilter));
    const shown = skipped.filter((s) => runs.has(s.run) && (this.state.runs === null || this.state.runs.includes(s.run) || !this.tags?.runs[s.run]));
    if (shown.length === 0) return null;
    return h(
      "div",
      { className: "notes", attrs: { id: "skipped-series" } },
      ...shown.map((s) => note(`${s.run} / ${s.tag} could not be read: ${s.reason}`, { run: s.run, tag: s.tag }))
    );
  }
  // ---- data and rendering -------------------------------------------------
  /** Refetches tags (and marks series stale), keeping the selection. */
  async reload() {
    try {
      this.api.invalidate();
      this.tags = await this.api.tags();
      this.tagsVersion++;
      this.status.textContent = "";
    } catch (e) {
      this.status.textContent = `reload failed: ${e.message}`;
      if (!this.tags) {
        this.content.dataset.state = "error";
        replaceChildren(this.content, h("div", { className: "error" }, e.message));
        return;
      }
    }
    await this.refresh();
  }
  makeCtx(tags, lazy, gen) {
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
      width: Math.max(0, (this.content.clientWidth || window.innerWidth - 260) - 20)
    };
  }
  /** After some series arrived: the slider and the class options take them in (once per frame). */
  queueLoaded() {
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
  showSteps(series) {
    const steps = offeredSteps(series, (s) => this.api.peekSeries(s.run, s.tag)?.steps.map((e) => e.step));
    this.steps = steps;
    const step = snapStep(steps, this.state.step);
    this.slider.max = String(Math.max(0, steps.length - 1));
    this.slider.value = String(step === null ? 0 : steps.indexOf(step));
    this.slider.disabled = steps.length <= 1;
    this.slider.setAttribute("aria-valuetext", step === null ? "no steps" : `step ${step}`);
    this.stepText.textContent = step === null ? "no steps" : `${step} (${steps.indexOf(step) + 1} of ${steps.length})${this.state.step === null ? ", latest" : ""}`;
    this.content.dataset.step = step === null ? "" : String(step);
    this.content.dataset.steps = String(steps.length);
    return step;
  }
  async refresh() {
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
      this.sidebarKey = sidebarKey;
      this.runList.update(ctx.allRuns, { runs: st.runs, runFilter: st.runFilter });
      this.buildFacets(ctx, true);
      this.syncViewButtons(ctx);
    }
    const spec = viewSpec(st.view);
    this.content.dataset.view = st.view;
    if (!spec) {
      this.shown = null;
      this.content.dataset.state = "unknown-view";
      this.content.dataset.complete = "true";
      const names = VIEWS.map((v) => v.label).join(", ");
      replaceChildren(this.content, h("div", { className: "error", attrs: { role: "alert", id: "unknown-view" } }, `Unknown view "${st.view}". Choose one of the views above: ${names}.`));
      return;
    }
    this.content.dataset.state = "loading";
    this.content.dataset.complete = "false";
    try {
      const series = spec.impl.series(ctx);
      this.shown = { ctx, series };
      this.showSteps(series);
      const el = await spec.impl.render(ctx, st.step);
      if (gen !== this.gen) return;
      const notes = this.skippedNotes();
      if (notes) el.prepend(notes);
      const { scrollTop, scrollLeft } = this.content;
      this.stage.style.top = `${this.content.offsetTop}px`;
      this.stage.style.width = `${this.content.clientWidth}px`;
      replaceChildren(this.stage, el);
      await lazy.loadWithin(this.visibleArea(scrollTop));
      if (gen !== this.gen) return;
      const focusedInView = this.content.contains(document.activeElement) ? document.activeElement?.id : void 0;
      replaceChildren(this.content, el);
      replaceChildren(this.stage);
      this.content.scrollTop = scrollTop;
      this.content.scrollLeft = scrollLeft;
      if (focusedInView) document.getElementById(focusedInView)?.focus();
      for (const strip of el.querySelectorAll(".filmstrip")) centreCurrent(strip);
      this.showSteps(series);
      this.content.dataset.state = "ready";
      if (this.firstPaint) {
        this.firstPaint = false;
        requestAnimationFrame(() => performance.mark("tbexplain-first-paint"));
      }
      lazy.attach(this.content);
    } catch (e) {
      if (gen !== this.gen) return;
      this.content.dataset.state = "error";
      replaceChildren(this.content, h("div", { className: "error", attrs: { role: "alert" } }, e.message));
    }
  }
  /** The part of the stage that will be on screen once the view is shown at `scrollTop`. */
  visibleArea(scrollTop) {
    const r = this.stage.getBoundingClientRect();
    const height = this.content.clientHeight || window.innerHeight || 800;
    return { top: r.top + scrollTop, bottom: r.top + scrollTop + height, left: r.left, right: r.right };
  }
  onIdle(gen, idle) {
    if (gen !== this.gen) return;
    this.content.dataset.complete = String(idle);
    if (idle && this.firstComplete) {
      this.firstComplete = false;
      requestAnimationFrame(() => performance.mark("tbexplain-first-complete"));
    }
  }
  // ---- interaction --------------------------------------------------------
  moveStep(delta) {
    const s = stepNeighbour(this.steps, this.state.step, delta);
    if (s === null) return;
    this.set({ step: s === this.steps[this.steps.length - 1] ? null : s });
  }
  togglePlay() {
    if (this.playTimer !== null) {
      window.clearInterval(this.playTimer);
      this.playTimer = null;
      this.playButton.textContent = "Play";
      this.playButton.setAttribute("aria-pressed", "false");
      return;
    }
    this.playButton.textContent = "Pause";
    this.playButton.setAttribute("aria-pressed", "true");
    if (this.state.step === null && this.steps.length > 1) this.set({ step: this.steps[0] });
    this.playTimer = window.setInterval(() => {
      const last = this.steps[this.steps.length - 1];
      const cur = snapStep(this.steps, this.state.step);
      if (cur === null) return;
      this.set({ step: cur === last ? this.steps[0] : stepNeighbour(this.steps, cur, 1) });
    }, 700);
  }
  onKey(ev) {
    const t = ev.target;
    if (ev.key === "Escape") {
      document.querySelector(".modal")?.remove();
      return;
    }
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
    if (ev.key === "ArrowLeft") {
      ev.preventDefault();
      this.moveStep(-1);
    } else if (ev.key === "ArrowRight") {
      ev.preventDefault();
      this.moveStep(1);
    }
  }
};

// src/index.ts
function render() {
  const root = document.createElement("div");
  root.id = "tbexplain-root";
  root.style.height = "100%";
  document.body.appendChild(root);
  new App(root).start();
}
export {
  render
};
