/**
 * Small line charts of a series' logged metrics (one per metric), drawn as
 * SVG with the current step marked and the value under the pointer.
 */
import type {MetricPoint, Metrics, ServedMetricPoint} from '../api';
import {h, svg} from '../dom';
import {formatValue} from '../scale';
import type {HoverSink} from './cell';

/** A linear map from `domain` onto `range`; a degenerate domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (!(span > 0) || !Number.isFinite(span)) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** [min, max] of the finite values; null when there are none. */
export function extent(values: Iterable<number>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * The points with numeric step and value, by step. /metrics serves a
 * non-finite value as null, which must stay a gap: `Number(null)` is 0.
 */
export function cleanPoints(points: readonly ServedMetricPoint[]): MetricPoint[] {
  return points
    .map((p) => ({step: Number(p.step), wall_time: Number(p.wall_time), value: p.value === null ? NaN : Number(p.value)}))
    .filter((p) => Number.isFinite(p.step))
    .sort((a, b) => a.step - b.step);
}

/** Index of the point whose step is nearest `step` (the earlier on a tie); -1 when there are none. */
export function nearestPoint(points: readonly MetricPoint[], step: number): number {
  if (points.length === 0) return -1;
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].step < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && step - points[lo - 1].step <= points[lo].step - step) return lo - 1;
  return lo;
}

/** Index of the last point at or before `step` (null: the last point); -1 when there is none. */
export function pointAtOrBefore(points: readonly MetricPoint[], step: number | null): number {
  if (step === null) return points.length - 1;
  let best = -1;
  for (let i = 0; i < points.length && points[i].step <= step; i++) best = i;
  return best;
}

/**
 * An SVG path through the points under the scales; a non-finite value
 * breaks the line (the next point starts a new segment).
 */
export function linePath(points: readonly MetricPoint[], x: (step: number) => number, y: (v: number) => number): string {
  const parts: string[] = [];
  let pen = false;
  for (const p of points) {
    if (!Number.isFinite(p.value)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`);
    pen = true;
  }
  return parts.join(' ');
}

/**
 * The points with a finite value and no finite neighbour: a line through
 * them draws nothing, so each is drawn as a dot (a value between two
 * undefined ones would not show otherwise).
 */
export function lonePoints(points: readonly MetricPoint[]): MetricPoint[] {
  const defined = (i: number) => i >= 0 && i < points.length && Number.isFinite(points[i].value);
  return points.filter((_, i) => defined(i) && !defined(i - 1) && !defined(i + 1));
}

/**
 * The chart's vertical range as text, with the fewest significant digits (3
 * to 8) that tell its ends apart: a chart scaled to its own values draws a
 * change of 0.002 as tall as one of 0.5, and only this says which it is.
 */
export function rangeText(range: readonly [number, number] | null): string {
  if (range === null) return '';
  const [lo, hi] = range;
  if (lo === hi) return `flat at ${formatValue(lo)}`;
  for (let digits = 3; digits < 8; digits++) {
    const [a, b] = [formatValue(lo, digits), formatValue(hi, digits)];
    if (a !== b) return `${a} to ${b}`;
  }
  return `${formatValue(lo, 8)} to ${formatValue(hi, 8)}`;
}

const W = 180;
const H = 48;
const PAD = 4;

/** One metric's chart: its name and value at `step`, the line, the step marker, a hover readout. */
function metricChart(name: string, raw: readonly ServedMetricPoint[], step: number | null, hover: HoverSink, color: string): HTMLElement {
  const points = cleanPoints(raw);
  const steps = extent(points.map((p) => p.step)) ?? [0, 0];
  const finite = extent(points.map((p) => p.value));
  const values = finite ?? [0, 0];
  const x = linearScale(steps, [PAD, W - PAD]);
  const y = linearScale(values, [H - PAD, PAD]);
  const at = pointAtOrBefore(points, step);
  const current = at >= 0 ? points[at] : null;
  const chart = svg('svg', {viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': `${name} over steps`});
  chart.appendChild(svg('path', {d: linePath(points, x, y), fill: 'none', stroke: color, 'stroke-width': 1.5}));
  for (const p of lonePoints(points)) chart.appendChild(svg('circle', {cx: x(p.step), cy: y(p.value), r: 2, fill: color}));
  if (current) {
    const cx = x(current.step);
    chart.appendChild(svg('line', {x1: cx, x2: cx, y1: 0, y2: H, class: 'step-mark'}));
    if (Number.isFinite(current.value)) chart.appendChild(svg('circle', {cx, cy: y(current.value), r: 2.5, fill: color}));
  }
  const dot = svg('circle', {r: 3, class: 'hover-dot', visibility: 'hidden'});
  chart.appendChild(dot);
  chart.addEventListener('mousemove', (ev) => {
    const rect = chart.getBoundingClientRect();
    if (rect.width === 0 || points.length === 0) return;
    const sx = ((ev.clientX - rect.left) / rect.width) * W;
    const s = steps[0] + ((sx - PAD) / (W - 2 * PAD)) * (steps[1] - steps[0]);
    const p = points[nearestPoint(points, s)];
    dot.setAttribute('cx', String(x(p.step)));
    dot.setAttribute('cy', String(Number.isFinite(p.value) ? y(p.value) : H / 2));
    dot.setAttribute('visibility', 'visible');
    hover.show(`${name} ${formatValue(p.value)} at step ${p.step}`, ev);
  });
  chart.addEventListener('mouseleave', () => {
    dot.setAttribute('visibility', 'hidden');
    hover.hide();
  });
  const value = current ? `${formatValue(current.value)} at step ${current.step}` : 'no value yet';
  return h(
    'figure',
    {className: 'metric', dataset: {metric: name}},
    h('figcaption', {}, h('span', {className: 'metric-name'}, name), ' ', h('span', {className: 'metric-value'}, value)),
    chart,
    h('div', {className: 'metric-range', attrs: {title: "the chart's vertical range"}}, rangeText(finite)),
  );
}

/** The charts of every metric of one series (sorted by name); null when there are none. */
export function metricsCharts(metrics: Metrics, step: number | null, hover: HoverSink, color: string): HTMLElement | null {
  const names = Object.keys(metrics)
    .filter((n) => Array.isArray(metrics[n]) && metrics[n].length > 0)
    .sort();
  if (names.length === 0) return null;
  return h('div', {className: 'metrics', attrs: {role: 'group', 'aria-label': 'Metrics'}}, ...names.map((n) => metricChart(n, metrics[n], step, hover, color)));
}
