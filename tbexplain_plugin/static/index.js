// tbexplain TensorBoard tab. Generated from frontend/src by `npm run build`; do not edit.

// src/api.ts
var NAMED = { class_id: "class_name", label: "label_name" };
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
      else if (k === "score") item[k] = null;
      const nameKey = NAMED[k];
      if (nameKey && v !== null && v !== void 0) {
        const name = names[String(v)];
        if (name !== void 0) item[nameKey] = name;
      }
    }
    items.push(item);
  }
  return { version: m.version, kind: m.kind, shape: m.shape, items };
}
function imageRefs(m, rows, blobs) {
  const tiles = m.tiles && m.tiles > 0 ? m.tiles : 1;
  const height = tiles === 1 ? null : m.shape.length === 1 ? 1 : m.shape[0];
  return Array.from({ length: rows }, (_, i) => ({ url: blobs[Math.floor(i / tiles)] ?? "", tile: i % tiles, height }));
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
var Api = class {
  constructor(fetchFn = (u, i) => fetch(u, i)) {
    this.fetchFn = fetchFn;
    this.generation = 0;
    this.steps = /* @__PURE__ */ new Map();
  }
  tags() {
    return getJson(this.fetchFn, "./tags");
  }
  /** All steps of a series (manifests and blob URLs), ascending; cached until invalidated. */
  series(run, tag) {
    const key = JSON.stringify([run, tag]);
    const hit = this.steps.get(key);
    if (hit && hit.gen === this.generation) return hit.promise;
    const url = `./steps?run=${encodeURIComponent(run)}&tag=${encodeURIComponent(tag)}`;
    const promise = getJson(this.fetchFn, url).then(
      (r) => r.steps.map((s) => {
        const manifest = expandManifest(s.manifest);
        return { step: s.step, wall_time: s.wall_time, manifest, images: imageRefs(s.manifest, manifest.items.length, s.blobs) };
      })
    );
    const entry = { gen: this.generation, promise };
    promise.catch(() => {
      if (this.steps.get(key) === entry) this.steps.delete(key);
    });
    this.steps.set(key, entry);
    return promise;
  }
  /** The already-resolved-or-pending series, without refetching a stale one. */
  peekSeries(run, tag) {
    return this.steps.get(JSON.stringify([run, tag]))?.promise;
  }
  /** Marks every cached series stale (after a TensorBoard reload). */
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
function tileCount(height, tileHeight) {
  return tileHeight ? Math.max(1, Math.floor(height / tileHeight)) : 1;
}
function grayTiles(strip, tileHeight) {
  const h2 = tileHeight ?? strip.height;
  const n = tileCount(strip.height, tileHeight);
  const w = strip.width;
  return Array.from({ length: n }, (_, k) => ({ width: w, height: h2, data: strip.data.subarray(k * h2 * w, (k + 1) * h2 * w) }));
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
async function bitmapTiles(bmp, tileHeight) {
  if (!tileHeight) return [bmp];
  const opts = { premultiplyAlpha: "none", colorSpaceConversion: "none" };
  const n = tileCount(bmp.height, tileHeight);
  const tiles = await Promise.all(Array.from({ length: n }, (_, k) => createImageBitmap(bmp, 0, k * tileHeight, bmp.width, tileHeight, opts)));
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
    return tileOf(this.grays, ref, (bmp) => grayTiles(grayOf(bmp), ref.height));
  }
  /** A drawable bitmap of the image `ref` points to. */
  bitmap(ref) {
    return tileOf(this.bitmaps, ref, (bmp) => bitmapTiles(bmp, ref.height));
  }
};
async function tileOf(cache2, ref, cut) {
  const key = `${ref.height}|${ref.url}`;
  let strip = cache2.get(key);
  if (!strip) {
    const loading = fetchBitmap(ref.url).then(cut);
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
function bitmapPixels(bmp, w, h2) {
  const ctx = scratch(w, h2);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(bmp, 0, 0, w, h2);
  return ctx.getImageData(0, 0, w, h2).data;
}

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
  const i = allRuns.indexOf(run);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
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
  const best = /* @__PURE__ */ new Map();
  for (const it of items) {
    if (it.sample === void 0 || it.class_id === void 0) continue;
    const score = typeof it.score === "number" && Number.isFinite(it.score) ? it.score : -Infinity;
    const cur = best.get(it.sample);
    if (!cur || score > cur.score) best.set(it.sample, { score, cls: it.class_id });
  }
  const out = /* @__PURE__ */ new Map();
  for (const [s, v] of best) out.set(s, v.cls);
  return out;
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
function formatValue(v) {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return v.toPrecision(3);
}

// src/render/cell.ts
var basePixels = /* @__PURE__ */ new WeakMap();
function cachedBase(bmp, w, hgt) {
  let bySize = basePixels.get(bmp);
  if (!bySize) {
    bySize = /* @__PURE__ */ new Map();
    basePixels.set(bmp, bySize);
  }
  const key = `${w}x${hgt}`;
  let px = bySize.get(key);
  if (!px) {
    px = bitmapPixels(bmp, w, hgt);
    bySize.set(key, px);
  }
  return px;
}
function shownGray(src) {
  const g = src.heat;
  const b = src.base;
  if (!b || src.sequence) return g;
  if (b.width < g.width || b.height < g.height) return g;
  return cachedUpsample(g, b.width, b.height);
}
function paintHeat(canvas, src, look) {
  const { width: w, height: hgt, data } = shownGray(src);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== hgt) canvas.height = hgt;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const img = ctx.createImageData(w, hgt);
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const remap = byteToIndex(src.item, display, src.signed);
  const base = src.base ? cachedBase(src.base, w, hgt) : null;
  colorize(data, remap, look.table, base ? look.opacity : 1, base, img.data);
  ctx.putImageData(img, 0, 0);
}
function valueAt(canvas, src, ev) {
  const rect = canvas.getBoundingClientRect();
  if (rect.width === 0 || rect.height === 0) return null;
  const g = shownGray(src);
  const x = Math.floor((ev.clientX - rect.left) / rect.width * g.width);
  const y = Math.floor((ev.clientY - rect.top) / rect.height * g.height);
  if (x < 0 || y < 0 || x >= g.width || y >= g.height) return null;
  return { x, y, v: rawValue(g.data[y * g.width + x], src.item) };
}
function heatCanvas(src, look, hover, label, onClick) {
  const canvas = emptyHeatCanvas(label, !!onClick);
  bindHeat(canvas, src, look, hover, onClick);
  return canvas;
}
function emptyHeatCanvas(label, clickable, shape) {
  const canvas = h("canvas", {
    className: "heat",
    attrs: { role: "img", "aria-label": label, tabindex: clickable ? 0 : void 0 }
  });
  if (shape && shape.length >= 2) {
    canvas.width = shape[1];
    canvas.height = shape[0];
  }
  return canvas;
}
function bindHeat(canvas, src, look, hover, onClick) {
  paintHeat(canvas, src, look);
  canvas.dataset.painted = "true";
  canvas.addEventListener("mousemove", (ev) => {
    const r = valueAt(canvas, src, ev);
    if (r) hover.show(`value ${formatValue(r.v)} at (${r.x}, ${r.y})`, ev);
    else hover.hide();
  });
  canvas.addEventListener("mouseleave", () => hover.hide());
  if (onClick) {
    canvas.addEventListener("click", onClick);
    canvas.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        onClick();
      }
    });
  }
}

// src/render/context.ts
async function loadSeries(ctx, series) {
  return Promise.all(series.map((s) => ctx.api.series(s.run, s.tag)));
}
function lookFor(ctx, signed, entries, keep) {
  const ranges = [];
  if (ctx.state.scale === "shared") {
    for (const e of entries) for (const it of e.manifest.items) if (!keep || keep(it)) ranges.push(it);
  }
  return {
    table: lut(resolveColormap(ctx.state.colormap, signed)),
    opacity: ctx.state.opacity,
    scale: ctx.state.scale,
    shared: sharedRange(ranges)
  };
}
async function heatSource(ctx, s, entry, i) {
  const item = entry.manifest.items[i];
  const heatP = ctx.images.gray(entry.images[i]);
  let base = null;
  const inputsTag = s.info.inputs_tag;
  if (inputsTag && ctx.tags.runs[s.run]?.[inputsTag]) {
    try {
      const inputs = await ctx.api.series(s.run, inputsTag);
      const at = entryAtOrBefore(inputs, entry.step);
      const k = at ? inputIndex(at.manifest.items, item.sample) : -1;
      if (at && k >= 0 && at.images[k]) base = await ctx.images.bitmap(at.images[k]);
    } catch {
      base = null;
    }
  }
  return { heat: await heatP, item, base, signed: s.info.signed, sequence: entry.manifest.shape.length === 1 };
}
function captionLines(item, predicted) {
  const lines = [];
  if (item.sample !== void 0) lines.push(`sample ${item.sample}`);
  if (item.class_id !== void 0) {
    const name = item.class_name ?? String(item.class_id);
    lines.push(item.score !== void 0 ? `${name} (${formatValue(Number(item.score))})` : name);
  }
  const correct = isCorrect(item, predicted);
  if (item.label !== void 0) {
    const ln = item.label_name ?? String(item.label);
    lines.push(`label ${ln}${correct === null ? "" : correct ? " ✓" : " ✗"}`);
  }
  lines.push(`range [${formatValue(Number(item.min))}, ${formatValue(Number(item.max))}]`);
  if (item.nonfinite) lines.push(`${item.nonfinite} non-finite`);
  return { lines, correct };
}
function caption(lines, correct) {
  return h(
    "figcaption",
    { className: correct === null ? "" : correct ? "correct" : "incorrect" },
    ...lines.map((l) => h("div", {}, l))
  );
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
  let note = signed ? "per map, symmetric around 0" : "per map (own min / max)";
  if (look.scale === "shared" && look.shared) {
    const r = signed ? symmetric(look.shared) : look.shared;
    lo = formatValue(r.min);
    hi = formatValue(r.max);
    note = "shared across steps and runs";
  }
  return h("div", { className: "legend", attrs: { id: "legend", role: "note" } }, h("span", {}, lo), bar, h("span", {}, hi), h("span", {}, `· ${note}`));
}

// src/render/explain.ts
async function explainData(ctx) {
  const all = seriesOfKind(ctx.tags, ctx.runs, "explanation");
  const f = facets(all, ctx.state.method, ctx.state.layer);
  const series = matchingSeries(all, f.method, f.layer);
  for (const s of series) {
    if (s.info.inputs_tag && ctx.tags.runs[s.run]?.[s.info.inputs_tag]) void ctx.api.series(s.run, s.info.inputs_tag).catch(() => void 0);
  }
  const entries = await loadSeries(ctx, series);
  return { series, entries };
}
async function explainSteps(ctx) {
  const d = await explainData(ctx);
  return unionSteps(d.entries.map((es) => es.map((e) => e.step)));
}
function visibleItems(ctx, entry) {
  return filterItems(entry.manifest.items, {
    classId: ctx.state.classId,
    label: ctx.state.label,
    correctness: ctx.state.correctness
  });
}

// src/render/activations.ts
function chosen(ctx, kind) {
  const all = seriesOfKind(ctx.tags, ctx.runs, kind);
  const names = distinct(all.map((s) => s.tag));
  const want = kind === "activations" ? ctx.state.actTag : ctx.state.filterTag;
  const tag = pick(names, want);
  const layerOf = new Map(all.map((s) => [s.tag, s.info.layer]));
  return {
    tags: names.map((t) => ({ tag: t, text: layerOf.get(t) ? `${layerOf.get(t)} (${t})` : t })),
    tag,
    series: all.filter((s) => s.tag === tag)
  };
}
function makeView(kind) {
  const stateKey = kind === "activations" ? "actTag" : "filterTag";
  return {
    async steps(ctx) {
      const { series } = chosen(ctx, kind);
      const entries = await loadSeries(ctx, series);
      return unionSteps(entries.map((es) => es.map((e) => e.step)));
    },
    async render(ctx, step) {
      const { tags, tag, series } = chosen(ctx, kind);
      const root = h("div", { className: `${kind}-view` });
      if (series.length === 0) {
        root.appendChild(empty(kind === "activations" ? "No activations logged in the selected runs (tbexplain.Activations)." : "No filter visualisations logged in the selected runs (tbexplain.FilterVisualization)."));
        return root;
      }
      const entries = await loadSeries(ctx, series);
      const controls = h("div", { className: "view-controls" }, tagSelect("Layer", tags, tag, (t) => ctx.set({ [stateKey]: t }), `${kind}-tag`));
      root.appendChild(controls);
      let sample = 0;
      if (kind === "activations") {
        const samples = sampleOptions(entries.flat().map((e) => e.manifest.items));
        sample = effectiveSample(ctx, samples);
        controls.appendChild(sampleSelect(ctx, samples));
      }
      const blocks = await Promise.all(
        series.map(async (s, k) => {
          const entry = entryAtOrBefore(entries[k], step);
          const block = h(
            "section",
            { className: "series", dataset: { run: s.run, tag: s.tag } },
            h("div", { className: "series-head" }, runChip(ctx, s.run), h("span", { className: "tag" }, s.info.layer || s.tag), h("span", { className: "step-label" }, entry ? `step ${entry.step}` : "no steps"))
          );
          if (!entry) return block;
          const cells = h("div", { className: "cells" });
          const items = entry.manifest.items;
          if (kind === "activations") {
            const idx = items.map((_, i) => i).filter((i) => items[i].sample === sample);
            const look = {
              table: lut(resolveColormap(ctx.state.colormap === "bwr" ? "viridis" : ctx.state.colormap, false)),
              opacity: 1,
              scale: ctx.state.scale,
              shared: ctx.state.scale === "shared" ? sharedOver(entries[k], sample) : null
            };
            const srcs = await Promise.all(idx.map((i) => heatSource(ctx, { ...s, info: { ...s.info, inputs_tag: "" } }, entry, i)));
            srcs.forEach((src) => {
              const lines = [`channel ${src.item.channel ?? "?"}`, `mean ${formatValue(Number(src.item.mean ?? NaN))}`, `range [${formatValue(Number(src.item.min))}, ${formatValue(Number(src.item.max))}]`];
              const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step} · sample ${sample}`;
              cells.appendChild(h("figure", { className: "cell" }, heatCanvas(src, look, ctx.hover, `${title} · ${lines[0]}`, () => ctx.openLarge({ title, lines, src, look })), caption(lines, null)));
            });
          } else {
            const bitmaps = await Promise.all(entry.images.map((ref) => ctx.images.bitmap(ref)));
            bitmaps.forEach((bmp, i) => {
              const it = items[i];
              const lines = [`filter ${it.filter ?? i}`];
              if (it.objective !== void 0) lines.push(`objective ${formatValue(Number(it.objective))}`);
              const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step}`;
              cells.appendChild(h("figure", { className: "cell" }, bitmapCanvas(bmp, `${title} · ${lines[0]}`, () => ctx.openLarge({ title, lines, bitmap: bmp })), caption(lines, null)));
            });
          }
          if (!cells.firstChild) cells.appendChild(empty("Nothing logged for this sample at this step."));
          block.appendChild(cells);
          return block;
        })
      );
      for (const b of blocks) root.appendChild(b);
      return root;
    }
  };
}
function sharedOver(entries, sample) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of entries) {
    for (const it of e.manifest.items) {
      if (it.sample !== sample) continue;
      if (Number.isFinite(Number(it.min))) lo = Math.min(lo, Number(it.min));
      if (Number.isFinite(Number(it.max))) hi = Math.max(hi, Number(it.max));
    }
  }
  return lo <= hi ? { min: lo, max: hi } : null;
}
var activationsView = makeView("activations");
var filtersView = makeView("filters");

// src/render/compare.ts
var compareView = {
  steps: explainSteps,
  async render(ctx, step) {
    const { series, entries } = await explainData(ctx);
    const root = h("div", { className: "compare-view" });
    if (ctx.runs.length < 2) {
      root.appendChild(empty("Select two or more runs to compare them side by side."));
    }
    if (series.length === 0) {
      root.appendChild(empty("No explanations in the selected runs."));
      return root;
    }
    const byTag = /* @__PURE__ */ new Map();
    series.forEach((s, k) => byTag.set(s.tag, [...byTag.get(s.tag) ?? [], k]));
    for (const [tag, ks] of byTag) {
      const cols = ks.map((k) => series[k]);
      const signed = cols.some((s) => s.info.signed);
      const look = lookFor(ctx, signed, ks.flatMap((k) => entries[k]));
      const at = ks.map((k) => entryAtOrBefore(entries[k], step));
      const keyed = at.map((e) => e ? rowKeys(e.manifest.items, visibleItems(ctx, e)) : /* @__PURE__ */ new Map());
      const rows = [...new Set(keyed.flatMap((m) => [...m.keys()]))].sort((a, b) => {
        const [sa, ra] = a.split(":").map(Number);
        const [sb, rb] = b.split(":").map(Number);
        return sa - sb || ra - rb;
      });
      const grid = h("div", { className: "compare", style: { "grid-template-columns": `repeat(${cols.length}, var(--cell))` }, dataset: { tag } });
      cols.forEach((s, c) => {
        grid.appendChild(h("div", { className: "col-head", dataset: { run: s.run } }, runChip(ctx, s.run), h("div", { className: "step-label" }, at[c] ? `step ${at[c].step}` : "no steps")));
      });
      const cells = await Promise.all(
        rows.flatMap(
          (rk) => cols.map(async (s, c) => {
            const e = at[c];
            const i = keyed[c].get(rk);
            if (!e || i === void 0) return h("div", { className: "empty" }, "—");
            const src = await heatSource(ctx, s, e, i);
            const { lines, correct } = captionLines(src.item, predictedBySample(e.manifest.items));
            const title = `${s.run} · ${s.tag} · step ${e.step}`;
            const canvas = heatCanvas(src, look, ctx.hover, `${title} · ${lines.join(" · ")}`, () => ctx.openLarge({ title, lines, src, look }));
            return h("figure", { className: "cell", dataset: { run: s.run } }, canvas, caption(lines, correct));
          })
        )
      );
      for (const c of cells) grid.appendChild(c);
      root.appendChild(h("section", { className: "series" }, h("div", { className: "series-head" }, h("span", { className: "tag" }, tag), legend(look, signed)), grid));
    }
    return root;
  }
};

// src/render/filmstrip.ts
var filmstripView = {
  steps: explainSteps,
  async render(ctx, step) {
    const { series, entries } = await explainData(ctx);
    const root = h("div", { className: "filmstrip-view" });
    if (series.length === 0) {
      root.appendChild(empty("No explanations in the selected runs."));
      return root;
    }
    const samples = sampleOptions(entries.flat().map((e) => e.manifest.items));
    const sample = effectiveSample(ctx, samples);
    root.appendChild(h("div", { className: "view-controls" }, sampleSelect(ctx, samples)));
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, entries.flat(), (it) => it.sample === sample);
    root.appendChild(legend(look, signed));
    const rows = await Promise.all(
      series.map(async (s, k) => {
        const own = snapStep(
          entries[k].map((e) => e.step),
          step
        );
        const frames = await Promise.all(
          entries[k].map(async (entry) => {
            const i = visibleItems(ctx, entry).find((j) => entry.manifest.items[j].sample === sample);
            if (i === void 0) return null;
            return { entry, i, src: await heatSource(ctx, s, entry, i) };
          })
        );
        const strip = h("div", { className: "filmstrip", attrs: { role: "list" } });
        for (const f of frames) {
          if (!f) continue;
          const { lines, correct } = captionLines(f.src.item, predictedBySample(f.entry.manifest.items));
          const title = `${s.run} · ${s.tag} · step ${f.entry.step}`;
          const canvas = heatCanvas(
            f.src,
            look,
            ctx.hover,
            `${title} · ${lines.join(" · ")}`,
            () => ctx.openLarge({ title, lines, src: f.src, look })
          );
          const current = f.entry.step === own;
          strip.appendChild(
            h(
              "figure",
              { className: current ? "cell frame current" : "cell frame", attrs: { role: "listitem", "aria-current": current ? "step" : void 0 }, dataset: { step: String(f.entry.step) } },
              canvas,
              caption([`step ${f.entry.step}`, ...lines.slice(1, 3)], correct)
            )
          );
        }
        if (!strip.firstChild) strip.appendChild(empty(`Sample ${sample} is not in this series (or filtered out).`));
        return h(
          "section",
          { className: "series", dataset: { run: s.run, tag: s.tag } },
          h("div", { className: "series-head" }, runChip(ctx, s.run), h("span", { className: "tag" }, s.info.display_name || s.tag), h("span", { className: "step-label" }, `${entries[k].length} steps`)),
          strip
        );
      })
    );
    for (const r of rows) root.appendChild(r);
    return root;
  }
};

// src/render/grid.ts
var gridView = {
  steps: explainSteps,
  async render(ctx, step) {
    const { series, entries } = await explainData(ctx);
    const root = h("div", { className: "grid-view" });
    if (series.length === 0) {
      root.appendChild(empty("No explanations in the selected runs. Log some with tbexplain.ExplainCallback."));
      return root;
    }
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, entries.flat(), void 0);
    root.appendChild(legend(look, signed));
    const loads = [];
    const blocks = series.map((s, k) => {
      const entry = entryAtOrBefore(entries[k], step);
      const head = h(
        "div",
        { className: "series-head" },
        runChip(ctx, s.run),
        h("span", { className: "tag" }, s.info.display_name || s.tag),
        h("span", { className: "step-label" }, entry ? `step ${entry.step}` : "no steps")
      );
      const block = h("section", { className: "series", dataset: { run: s.run, tag: s.tag } }, head);
      if (!entry) return block;
      const idx = visibleItems(ctx, entry);
      const predicted = predictedBySample(entry.manifest.items);
      const cells = h("div", { className: "cells" });
      for (const i of idx) {
        const item = entry.manifest.items[i];
        const { lines, correct } = captionLines(item, predicted);
        const title = `${s.run} · ${s.tag} · step ${entry.step}`;
        const canvas = emptyHeatCanvas(`${title} · ${lines.join(" · ")}`, true, entry.manifest.shape);
        loads.push(
          () => heatSource(ctx, s, entry, i).then(
            (src) => bindHeat(canvas, src, look, ctx.hover, () => ctx.openLarge({ title, lines, src, look })),
            (err) => {
              canvas.classList.add("broken");
              canvas.setAttribute("aria-label", `${title}: could not load (${err.message})`);
              canvas.title = `could not load: ${err.message}`;
            }
          )
        );
        cells.appendChild(h("figure", { className: "cell", dataset: { item: String(i) } }, canvas, caption(lines, correct)));
      }
      if (idx.length === 0) cells.appendChild(empty("No samples match the filters at this step."));
      block.appendChild(cells);
      return block;
    });
    const eager = Math.max(1, ctx.eager);
    await Promise.all(loads.slice(0, eager).map((load) => load()));
    ctx.pending.push(...loads.slice(eager).map((load) => load()));
    for (const b of blocks) root.appendChild(b);
    return root;
  }
};

// src/render/pipeline.ts
function stageSeries(ctx) {
  const inputs = seriesOfKind(ctx.tags, ctx.runs, "inputs");
  const overlaid = /* @__PURE__ */ new Set();
  for (const run of ctx.runs) {
    for (const info of Object.values(ctx.tags.runs[run] ?? {})) {
      if (info.kind !== "inputs" && info.inputs_tag) overlaid.add(JSON.stringify([run, info.inputs_tag]));
    }
  }
  const stages = inputs.filter((s) => !overlaid.has(JSON.stringify([s.run, s.tag])));
  return stages.length > 0 ? stages : inputs;
}
var pipelineView = {
  async steps(ctx) {
    const entries = await loadSeries(ctx, stageSeries(ctx));
    return unionSteps(entries.map((es) => es.map((e) => e.step)));
  },
  async render(ctx, step) {
    const series = stageSeries(ctx);
    const root = h("div", { className: "pipeline-view" });
    if (series.length === 0) {
      root.appendChild(empty("No input pipeline stages logged in the selected runs."));
      return root;
    }
    const entries = await loadSeries(ctx, series);
    for (const run of ctx.runs) {
      const ks = series.map((s, k) => s.run === run ? k : -1).filter((k) => k >= 0);
      if (ks.length === 0) continue;
      const at = ks.map((k) => entryAtOrBefore(entries[k], step));
      const samples = [...new Set(at.flatMap((e) => e ? e.manifest.items.map((it, i) => it.sample ?? i) : []))].sort((a, b) => a - b);
      const grid = h("div", { className: "compare", style: { "grid-template-columns": `repeat(${ks.length}, var(--cell))` } });
      ks.forEach((k, c) => {
        grid.appendChild(h("div", { className: "col-head" }, series[k].info.stage || series[k].tag, h("div", { className: "step-label muted" }, at[c] ? `step ${at[c].step}` : "no steps")));
      });
      const cells = await Promise.all(
        samples.flatMap(
          (sample) => ks.map(async (k, c) => {
            const e = at[c];
            const i = e ? e.manifest.items.findIndex((it2, j) => (it2.sample ?? j) === sample) : -1;
            if (!e || i < 0) return h("div", { className: "empty" }, "—");
            const bmp = await ctx.images.bitmap(e.images[i]);
            const it = e.manifest.items[i];
            const lines = [`sample ${sample}`];
            if (it.label_name !== void 0 || it.label !== void 0) lines.push(`label ${it.label_name ?? it.label}`);
            const title = `${run} · ${series[k].info.stage || series[k].tag} · step ${e.step}`;
            return h("figure", { className: "cell" }, bitmapCanvas(bmp, `${title} · sample ${sample}`, () => ctx.openLarge({ title, lines, bitmap: bmp })), caption(lines, null));
          })
        )
      );
      for (const c of cells) grid.appendChild(c);
      root.appendChild(h("section", { className: "series", dataset: { run } }, h("div", { className: "series-head" }, runChip(ctx, run)), grid));
    }
    return root;
  }
};

// src/state.ts
var VIEWS = ["browse", "epochs", "compare", "activations", "filters", "pipeline"];
var DEFAULT_STATE = Object.freeze({
  view: "browse",
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
  actTag: "",
  filterTag: ""
});
function defaultState() {
  return { ...DEFAULT_STATE, runs: null };
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
  if (state.actTag) p.set("act", state.actTag);
  if (state.filterTag) p.set("flt", state.filterTag);
  return p.toString();
}
function decodeState(text) {
  const s = defaultState();
  const p = new URLSearchParams(text.startsWith("#") ? text.slice(1) : text);
  const view = p.get("view");
  if (view && VIEWS.includes(view)) s.view = view;
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
  s.actTag = p.get("act") ?? "";
  s.filterTag = p.get("flt") ?? "";
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

// src/style.ts
var CSS = `
:root { --bg:#fff; --fg:#212121; --muted:#616161; --panel:#f5f5f5; --border:#e0e0e0; --accent:#f57c00;
  --ok:#2e7d32; --bad:#c62828; --cell:148px; color-scheme: light; }
:root.dark { --bg:#202124; --fg:#e8eaed; --muted:#9aa0a6; --panel:#2a2b2e; --border:#3c4043; --accent:#ffa726;
  --ok:#81c995; --bad:#f28b82; color-scheme: dark; }
html, body { height:100%; margin:0; }
body { background:var(--bg); color:var(--fg); font:13px/1.4 Roboto, "Segoe UI", Arial, sans-serif; overflow:hidden; }
.app { display:flex; height:100%; }
.sidebar { width:260px; flex:none; overflow:auto; border-right:1px solid var(--border); background:var(--panel); padding:8px 10px; box-sizing:border-box; }
.main { flex:1; display:flex; flex-direction:column; min-width:0; }
.toolbar, .stepbar { display:flex; flex-wrap:wrap; align-items:center; gap:8px; padding:6px 10px; border-bottom:1px solid var(--border); }
.content { flex:1; overflow:auto; padding:10px; }
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
.cells { display:flex; flex-wrap:wrap; gap:8px; }
figure.cell { margin:0; width:var(--cell); }
canvas.heat, img.plain { width:var(--cell); height:var(--cell); image-rendering:pixelated; display:block; background:#000; cursor:crosshair; object-fit:contain; }
figcaption { font-size:11px; color:var(--muted); overflow-wrap:anywhere; }
figcaption.correct div:nth-child(3) { color:var(--ok); }
figcaption.incorrect div:nth-child(3) { color:var(--bad); }
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
.compare { display:grid; gap:8px; align-items:start; }
.compare .col-head { font-weight:500; }
.legend { display:flex; align-items:center; gap:6px; font-size:11px; color:var(--muted); }
.legend canvas { width:160px; height:10px; border:1px solid var(--border); }
.legend { margin-bottom:8px; }
.muted { color:var(--muted); }
.view-controls { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:8px; }
.view-controls .field { margin:0; }
.skipped { color:var(--bad); font-size:11px; }
`;

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

// src/app.ts
var VIEW_LABELS = {
  browse: "Browse",
  epochs: "Over epochs",
  compare: "Compare runs",
  activations: "Activations",
  filters: "Filters",
  pipeline: "Pipeline"
};
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
    this.views = /* @__PURE__ */ new Map();
    this.gen = 0;
    this.steps = [];
    this.playTimer = null;
    this.firstPaint = true;
    this.tagsVersion = 0;
    this.sidebarKey = "";
    this.sidebar = h("aside", { className: "sidebar", attrs: { "aria-label": "Selection" } });
    this.runList = h("ul", { className: "runs", attrs: { id: "run-list", "aria-label": "Runs" } });
    this.facetBox = h("div", { attrs: { id: "facets" } });
    this.toolbar = h("div", { className: "toolbar", attrs: { role: "toolbar", "aria-label": "Views" } });
    this.slider = h("input", { attrs: { type: "range", id: "step-slider", min: 0, max: 0, value: 0, "aria-label": "Step" } });
    this.stepText = h("span", { className: "step-label", attrs: { id: "step-value", "aria-live": "polite" } });
    this.playButton = h("button", { attrs: { type: "button", id: "play", "aria-pressed": "false" } }, "Play");
    this.content = h("div", { className: "content", attrs: { id: "view", "data-state": "loading", "data-testid": "view" } });
    this.tooltip = h("div", { className: "tooltip", attrs: { id: "hover-value", role: "status", hidden: true } });
    this.status = h("span", { className: "muted", attrs: { id: "status" } });
    this.state = loadState(window.location.hash, storage());
    this.views.set("browse", gridView);
    this.views.set("epochs", filmstripView);
    this.views.set("compare", compareView);
    this.views.set("activations", activationsView);
    this.views.set("filters", filtersView);
    this.views.set("pipeline", pipelineView);
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
    const filter = h("input", {
      attrs: { type: "search", id: "run-filter", placeholder: "Filter runs (regex)", "aria-label": "Filter runs (regex)" }
    });
    filter.value = this.state.runFilter;
    filter.addEventListener("input", () => this.set({ runFilter: filter.value }));
    const allBtn = h("button", { attrs: { type: "button", id: "runs-all" } }, "All");
    allBtn.addEventListener("click", () => this.set({ runs: null }));
    const noneBtn = h("button", { attrs: { type: "button", id: "runs-none" } }, "None");
    noneBtn.addEventListener("click", () => this.set({ runs: [] }));
    const opacity = h("input", { attrs: { type: "range", id: "opacity", min: 0, max: 1, step: 0.05 } });
    opacity.value = String(this.state.opacity);
    opacity.addEventListener("input", () => this.set({ opacity: Number(opacity.value) }));
    replaceChildren(
      this.sidebar,
      h("h2", {}, "Runs"),
      filter,
      h("div", { className: "row" }, allBtn, " ", noneBtn),
      this.runList,
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
      )
    );
    for (const v of Object.keys(VIEW_LABELS)) {
      const b = h("button", { attrs: { type: "button", "data-view": v, "aria-pressed": "false" } }, VIEW_LABELS[v]);
      b.addEventListener("click", () => this.set({ view: v }));
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
    const main = h("div", { className: "main" }, this.toolbar, stepbar, this.content);
    replaceChildren(this.root, h("div", { className: "app" }, this.sidebar, main), this.tooltip);
    this.syncStaticControls();
  }
  syncStaticControls() {
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
  buildRunList() {
    const all = this.allRuns();
    const visible = filterRuns(all, this.state.runFilter);
    const active = new Set(activeRuns(all, this.state.runs, this.state.runFilter));
    replaceChildren(this.runList);
    for (const run of visible) {
      const box = h("input", { attrs: { type: "checkbox", "data-run": run } });
      box.checked = active.has(run);
      box.addEventListener("change", () => {
        const current = new Set(this.state.runs ?? all);
        if (box.checked) current.add(run);
        else current.delete(run);
        this.set({ runs: all.filter((r) => current.has(r)) });
      });
      this.runList.appendChild(
        h("li", {}, h("label", {}, box, h("span", { className: "swatch", style: { background: runColor(run, all) } }), h("span", { className: "run-name" }, run)))
      );
    }
    if (visible.length === 0) this.runList.appendChild(h("li", { className: "muted" }, all.length ? "No run matches the filter." : "No runs yet."));
    for (const s of this.tags?.skipped ?? []) {
      this.runList.appendChild(h("li", { className: "skipped" }, `skipped ${s.run} / ${s.tag}: ${s.reason}`));
    }
  }
  async buildFacets(ctx) {
    const all = seriesOfKind(ctx.tags, ctx.runs, "explanation");
    const f = facets(all, this.state.method, this.state.layer);
    const data = await explainData(ctx);
    const manifests = data.entries.flat().map((e) => e.manifest.items);
    const classes = classOptions(manifests, "class");
    const labels = classOptions(manifests, "label");
    replaceChildren(
      this.facetBox,
      select("Method", f.methods.map((m) => ({ value: m, text: m || "(none)" })), f.method, (v) => this.set({ method: v, layer: "" }), "method"),
      select("Layer", f.layers.map((l) => ({ value: l, text: l || "(input space)" })), f.layer, (v) => this.set({ layer: v }), "layer"),
      select(
        "Class explained",
        [{ value: "", text: "all classes" }, ...classes.map((c) => ({ value: String(c.id), text: c.name }))],
        this.state.classId === null ? "" : String(this.state.classId),
        (v) => this.set({ classId: v === "" ? null : Number(v) }),
        "class-filter"
      ),
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
  makeCtx(tags) {
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
        }
      },
      set: (patch) => this.set(patch),
      openLarge: (v) => this.openLarge(v),
      eager: this.screenful(),
      pending: []
    };
  }
  /** About how many cells fit in the view (plus a row); 24 while the tab is hidden. */
  screenful() {
    const w = this.content.clientWidth;
    const hgt = this.content.clientHeight;
    if (w === 0 || hgt === 0) return 24;
    const cols = Math.max(1, Math.floor((w - 20) / 156));
    const rows = Math.ceil(hgt / 220);
    return cols * rows;
  }
  async refresh() {
    const gen = ++this.gen;
    const tags = this.tags;
    if (!tags) return;
    const view = this.views.get(this.state.view) ?? gridView;
    this.content.dataset.state = "loading";
    this.content.dataset.complete = "false";
    this.content.dataset.view = this.state.view;
    try {
      const ctx = this.makeCtx(tags);
      const st = this.state;
      const sidebarKey = JSON.stringify([this.tagsVersion, st.runs, st.runFilter, st.method, st.layer, st.classId, st.label, st.correctness]);
      if (sidebarKey !== this.sidebarKey) {
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
      this.slider.setAttribute("aria-valuetext", step === null ? "no steps" : `step ${step}`);
      this.stepText.textContent = step === null ? "no steps" : `${step} (${steps.indexOf(step) + 1} of ${steps.length})${this.state.step === null ? ", latest" : ""}`;
      const el = await view.render(ctx, step);
      if (gen !== this.gen) return;
      const focusedInView = this.content.contains(document.activeElement) ? document.activeElement?.id : void 0;
      const { scrollTop, scrollLeft } = this.content;
      replaceChildren(this.content, el);
      this.content.scrollTop = scrollTop;
      this.content.scrollLeft = scrollLeft;
      if (focusedInView) document.getElementById(focusedInView)?.focus();
      for (const strip of el.querySelectorAll(".filmstrip")) {
        const cur = strip.querySelector(".current");
        if (cur) strip.scrollLeft = cur.offsetLeft - (strip.clientWidth - cur.clientWidth) / 2;
      }
      this.content.dataset.step = step === null ? "" : String(step);
      this.content.dataset.steps = String(steps.length);
      this.content.dataset.state = "ready";
      const first = this.firstPaint;
      this.content.dataset.complete = "false";
      void Promise.allSettled(ctx.pending).then(() => {
        if (gen !== this.gen) return;
        this.content.dataset.complete = "true";
        if (first) requestAnimationFrame(() => performance.mark("tbexplain-first-complete"));
      });
      if (this.firstPaint) {
        this.firstPaint = false;
        requestAnimationFrame(() => performance.mark("tbexplain-first-paint"));
      }
    } catch (e) {
      if (gen !== this.gen) return;
      this.content.dataset.state = "error";
      replaceChildren(this.content, h("div", { className: "error", attrs: { role: "alert" } }, e.message));
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
  openLarge(v) {
    document.querySelector(".modal")?.remove();
    const close = h("button", { attrs: { type: "button", id: "large-close", "aria-label": "Close" } }, "Close");
    let pic;
    if (v.src && v.look) {
      const src = v.src;
      const canvas = h("canvas", { className: "heat", attrs: { role: "img", "aria-label": v.title, id: "large-canvas" } });
      paintHeat(canvas, src, v.look);
      pic = canvas;
    } else if (v.bitmap) {
      const canvas = h("canvas", { className: "heat", attrs: { role: "img", "aria-label": v.title, id: "large-canvas" } });
      canvas.width = v.bitmap.width;
      canvas.height = v.bitmap.height;
      canvas.getContext("2d")?.drawImage(v.bitmap, 0, 0);
      pic = canvas;
    } else {
      pic = h("div");
    }
    const box = h(
      "div",
      { className: "modal-box" },
      pic,
      h("div", {}, h("div", { className: "run-chip" }, v.title), ...v.lines.map((l) => h("div", {}, l)), h("p", {}, close))
    );
    const modal = h("div", { className: "modal", attrs: { role: "dialog", "aria-modal": "true", "aria-label": v.title } }, box);
    modal.addEventListener("click", (ev) => {
      if (ev.target === modal) modal.remove();
    });
    close.addEventListener("click", () => modal.remove());
    if (v.src && pic instanceof HTMLCanvasElement) {
      const src = v.src;
      const canvas = pic;
      const ctx = this.tags ? this.makeCtx(this.tags) : null;
      canvas.addEventListener("mousemove", (ev) => {
        const r = valueAt(canvas, src, ev);
        if (r && ctx) ctx.hover.show(`value ${formatValue(r.v)} at (${r.x}, ${r.y})`, ev);
        else ctx?.hover.hide();
      });
      canvas.addEventListener("mouseleave", () => this.tooltip.hidden = true);
    }
    document.body.appendChild(modal);
    close.focus();
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
