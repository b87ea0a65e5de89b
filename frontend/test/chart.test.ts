import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {MetricPoint, ServedMetricPoint} from '../src/api';
import {cleanPoints, extent, linearScale, linePath, lonePoints, nearestPoint, pointAtOrBefore, rangeText} from '../src/render/chart';
import {overlaps} from '../src/lazy';

const pts = (steps: number[], values: number[]): MetricPoint[] => steps.map((step, i) => ({step, wall_time: i, value: values[i]}));

test('linear scales map the domain onto the range; a flat domain maps to the middle', () => {
  const x = linearScale([0, 10], [4, 104]);
  assert.equal(x(0), 4);
  assert.equal(x(5), 54);
  assert.equal(x(10), 104);
  const y = linearScale([0.2, 0.6], [44, 4]); // SVG y grows downwards
  assert.ok(Math.abs(y(0.6) - 4) < 1e-9);
  assert.equal(linearScale([3, 3], [0, 10])(3), 5);
  assert.deepEqual(extent([3, NaN, -1, Infinity, 2]), [-1, 3]);
  assert.equal(extent([NaN]), null);
});

test('the hovered point is the one nearest the step, the earlier on a tie', () => {
  const p = pts([0, 2, 4, 10], [1, 2, 3, 4]);
  assert.equal(nearestPoint(p, -5), 0);
  assert.equal(nearestPoint(p, 0.9), 0);
  assert.equal(nearestPoint(p, 1), 0); // tie between 0 and 2
  assert.equal(nearestPoint(p, 1.1), 1);
  assert.equal(nearestPoint(p, 6.9), 2);
  assert.equal(nearestPoint(p, 7.1), 3);
  assert.equal(nearestPoint(p, 99), 3);
  assert.equal(nearestPoint([], 1), -1);
});

test('the current step marks the last point at or before it', () => {
  const p = pts([0, 2, 4], [1, 2, 3]);
  assert.equal(pointAtOrBefore(p, 3), 1);
  assert.equal(pointAtOrBefore(p, 4), 2);
  assert.equal(pointAtOrBefore(p, -1), -1);
  assert.equal(pointAtOrBefore(p, null), 2);
});

test('served points are cleaned (null for non-finite values) and sorted; NaN breaks the line', () => {
  const served = [
    {step: 2, wall_time: 1, value: null},
    {step: 0, wall_time: 0, value: 0.5},
    {step: 4, wall_time: 2, value: 1},
    {step: 6, wall_time: 3, value: 0},
  ] as unknown as ServedMetricPoint[];
  const p = cleanPoints(served);
  assert.deepEqual(
    p.map((q) => q.step),
    [0, 2, 4, 6],
  );
  assert.ok(Number.isNaN(p[1].value));
  const path = linePath(p, (s) => s * 10, (v) => 100 - v * 100);
  assert.equal(path, 'M0.0,50.0 M40.0,0.0 L60.0,100.0');
  // The first value has no finite neighbour: the line cannot show it.
  assert.deepEqual(
    lonePoints(p).map((q) => q.step),
    [0],
  );
});

test('lone values are the finite ones without a finite neighbour', () => {
  const lone = (values: number[]) => lonePoints(values.map((value, step) => ({step, wall_time: step, value}))).map((q) => q.step);
  assert.deepEqual(lone([1]), [0]);
  assert.deepEqual(lone([NaN, 2, NaN]), [1]);
  assert.deepEqual(lone([1, 2, NaN, 3]), [3]);
  assert.deepEqual(lone([1, 2]), []);
  assert.deepEqual(lone([NaN, NaN]), []);
});

test('boxes overlap only when they share area (with margins)', () => {
  const a = {top: 0, bottom: 100, left: 0, right: 100};
  assert.equal(overlaps(a, {top: 50, bottom: 60, left: 10, right: 20}), true);
  assert.equal(overlaps(a, {top: 100, bottom: 200, left: 0, right: 100}), false); // touching
  assert.equal(overlaps(a, {top: 150, bottom: 200, left: 0, right: 100}, 60), true);
  assert.equal(overlaps(a, {top: 0, bottom: 100, left: 300, right: 400}, 0, 150), false);
  assert.equal(overlaps(a, {top: 0, bottom: 100, left: 300, right: 400}, 0, 250), true);
});

test('the range text has the digits that tell its ends apart', () => {
  assert.equal(rangeText([2.766, 2.768]), '2.766 to 2.768');
  assert.equal(rangeText([0.1, 0.9]), '0.100 to 0.900');
  assert.equal(rangeText([-0.0509, 0.0312]), '-0.0509 to 0.0312');
  assert.equal(rangeText([1.0000001, 1.0000002]), '1.0000001 to 1.0000002');
  assert.equal(rangeText([1e-5, 2e-5]), '1.00e-5 to 2.00e-5');
  assert.equal(rangeText([0.3, 0.3]), 'flat at 0.300');
  assert.equal(rangeText(null), '');
});
