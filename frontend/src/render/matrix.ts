/** A (tokens or features) x steps heatmap on a canvas, labelled, with a value hover and the current step marked. */
import {columnRange, Matrix, matrixPixels} from '../attribution';
import {h} from '../dom';
import {formatValue, RawRange} from '../scale';
import type {HoverSink} from './cell';

/** The height of a row in px, and the widest and narrowest step column. */
const ROW_PX = 16;
const MAX_COL_PX = 28;
const MIN_COL_PX = 4;
/** The widest the heatmap gets; more steps make narrower columns. */
const MAX_WIDTH_PX = 560;

export interface MatrixOptions {
  /** The display range of column (step) `c`. */
  rangeOf: (c: number) => RawRange | null;
  signed: boolean;
  table: Uint8Array;
  hover: HoverSink;
  /** What a row is ("token", "feature"), for the hover and the label. */
  rowName: string;
  /** What a value is, for the hover ("attribution", "mean |attribution|"). */
  valueName: string;
  /** The column of the current step, marked; null for none. */
  current: number | null;
  label: string;
}

/** The display range of each column on its own (the "per map" scale), from 0 for magnitudes. */
export function ownColumnRange(m: Matrix, fromZero: boolean): (c: number) => RawRange | null {
  return (c) => {
    const r = columnRange(m, c);
    return r && fromZero ? {min: 0, max: r.max} : r;
  };
}

/** The heatmap of `m`: row labels at the left, steps below, one canvas pixel per cell. */
export function matrixView(m: Matrix, o: MatrixOptions): HTMLElement {
  const cols = m.cols.length;
  const rows = m.rows.length;
  const colPx = Math.max(MIN_COL_PX, Math.min(MAX_COL_PX, Math.floor(MAX_WIDTH_PX / Math.max(1, cols))));
  const canvas = h('canvas', {className: 'matrix-canvas', attrs: {role: 'img', 'aria-label': o.label}, style: {width: `${cols * colPx}px`, height: `${rows * ROW_PX}px`}});
  canvas.width = Math.max(1, cols);
  canvas.height = Math.max(1, rows);
  const c2d = canvas.getContext('2d');
  if (c2d && cols > 0 && rows > 0) {
    const img = c2d.createImageData(cols, rows);
    img.data.set(matrixPixels(m, o.rangeOf, o.signed, o.table));
    c2d.putImageData(img, 0, 0);
  }
  canvas.dataset.painted = 'true';
  canvas.addEventListener('mousemove', (ev) => {
    const rect = canvas.getBoundingClientRect();
    const c = Math.floor(((ev.clientX - rect.left) / rect.width) * cols);
    const r = Math.floor(((ev.clientY - rect.top) / rect.height) * rows);
    if (c < 0 || r < 0 || c >= cols || r >= rows) return o.hover.hide();
    const v = m.values[r * cols + c];
    o.hover.show(`${o.rowName} ${m.rows[r]} · step ${m.cols[c]}: ${o.valueName} ${Number.isFinite(v) ? formatValue(v) : 'not logged'}`, ev);
  });
  canvas.addEventListener('mouseleave', () => o.hover.hide());
  const plot = h('div', {className: 'matrix-plot'}, canvas);
  if (o.current !== null && o.current >= 0 && o.current < cols) {
    plot.appendChild(h('div', {className: 'matrix-current', attrs: {'aria-hidden': 'true'}, style: {left: `${o.current * colPx}px`, width: `${colPx}px`}}));
  }
  const labels = h('div', {className: 'matrix-rows', attrs: {'aria-hidden': 'true'}}, ...m.rows.map((r) => h('div', {style: {height: `${ROW_PX}px`}}, r)));
  // About ten step labels, whatever the number of steps.
  const every = Math.max(1, Math.ceil(cols / 10));
  const steps = h(
    'div',
    {className: 'matrix-steps', attrs: {'aria-hidden': 'true'}},
    ...m.cols.map((s, c) => h('span', {style: {width: `${colPx}px`}}, c % every === 0 ? String(s) : '')),
  );
  return h(
    'figure',
    {className: 'matrix', dataset: {rows: String(rows), cols: String(cols)}},
    h('div', {className: 'matrix-grid'}, labels, plot, h('span', {}), steps),
    h('figcaption', {}, o.label),
  );
}
