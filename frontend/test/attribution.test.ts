import assert from 'node:assert/strict';
import {test} from 'node:test';
import {barFraction, columnRange, darkTextOn, matrixPixels, meanAbsolute, sortedFeatures, tokenCells, valueIndex} from '../src/attribution';
import {lut} from '../src/colormap';
import {symmetric} from '../src/scale';

test('tokens take the colour of their attribution, padding is left out', () => {
  const table = lut('bwr');
  // A signed map over 4 tokens with raw range [-1, 3]: byte p is -1 + 4 p / 255.
  const item = {min: -1, max: 3};
  const heat = Uint8Array.from([0, 255, 64, 128]);
  const cells = tokenCells(heat, item, symmetric(item), true, table, ['not', 'good', 'at', ''], Uint8Array.from([255, 255, 255, 0]));
  assert.deepEqual(
    cells.map((c) => [c.index, c.text]),
    [
      [0, 'not'],
      [1, 'good'],
      [2, 'at'],
    ],
  );
  assert.ok(Math.abs(cells[0].value - -1) < 1e-9 && Math.abs(cells[1].value - 3) < 1e-9);
  // On the symmetric range [-3, 3]: 3 is the red end, -1 a third of the way into the blues.
  assert.deepEqual(cells[1].rgb, [table[255 * 3], table[255 * 3 + 1], table[255 * 3 + 2]]);
  const k = valueIndex(-1, {min: -3, max: 3}, true);
  assert.equal(k, 85);
  assert.deepEqual(cells[0].rgb, [table[k * 3], table[k * 3 + 1], table[k * 3 + 2]]);
  // About 0 (the white middle of the diverging map): dark text; the saturated red end: light text.
  const nearZero = cells[2];
  assert.ok(Math.abs(nearZero.value) < 0.01);
  assert.equal(nearZero.dark, true);
  assert.equal(cells[1].dark, false);
  // Without the inputs: every position, named by index.
  assert.deepEqual(
    tokenCells(heat, item, item, true, table, null, null).map((c) => c.text),
    ['#0', '#1', '#2', '#3'],
  );
});

test('text colour: dark on light backgrounds, light on dark ones', () => {
  assert.equal(darkTextOn([255, 255, 255]), true);
  assert.equal(darkTextOn([250, 230, 30]), true); // viridis' yellow end
  assert.equal(darkTextOn([0, 0, 0]), false);
  assert.equal(darkTextOn([68, 1, 84]), false); // viridis' purple end
});

test('a value maps to a LUT index of the display range, clamped', () => {
  assert.equal(valueIndex(0, {min: 0, max: 1}, false), 0);
  assert.equal(valueIndex(1, {min: 0, max: 1}, false), 255);
  assert.equal(valueIndex(0.5, {min: 0, max: 1}, false), 128);
  assert.equal(valueIndex(7, {min: 0, max: 1}, false), 255);
  assert.equal(valueIndex(-7, {min: -1, max: 1}, true), 0);
  // A degenerate range: the middle of a diverging map, the low end otherwise.
  assert.equal(valueIndex(2, {min: 2, max: 2}, true), 128);
  assert.equal(valueIndex(2, {min: 2, max: 2}, false), 0);
});

test('features sort by |attribution|, largest first, ties in input order, with their inputs', () => {
  const bars = sortedFeatures([0.1, -0.5, 0.5, 0, 0.2], ['age', 'height', 'weight'], [30, 1.8, 70, 1, 2]);
  assert.deepEqual(
    bars.map((b) => [b.name, b.value, b.input]),
    [
      ['height', -0.5, 1.8],
      ['weight', 0.5, 70],
      ['feature 4', 0.2, 2],
      ['age', 0.1, 30],
      ['feature 3', 0, 1],
    ],
  );
  assert.deepEqual(
    sortedFeatures([1, -2], [], null).map((b) => [b.index, b.input]),
    [
      [1, null],
      [0, null],
    ],
  );
  // Bars are |value| over the display range's largest magnitude.
  assert.equal(barFraction(-0.5, {min: -1, max: 0.25}), 0.5);
  assert.equal(barFraction(2, {min: -1, max: 1}), 1);
  assert.equal(barFraction(1, {min: 0, max: 0}), 0);
});

test('mean |attribution| per feature over the samples, skipping non-finite values', () => {
  const m = meanAbsolute([
    [1, -2, NaN],
    [-3, 2, NaN],
    [2, 0, NaN],
  ]);
  assert.deepEqual([...m].slice(0, 2), [2, 4 / 3]);
  assert.ok(Number.isNaN(m[2]));
  assert.equal(meanAbsolute([]).length, 0);
});

test('a rows x steps matrix paints each column on its display range, missing cells transparent', () => {
  const table = lut('gray');
  // 2 rows (features) x 3 columns (steps), row-major.
  const m = {rows: ['a', 'b'], cols: [0, 5, 9], values: Float64Array.from([0, 2, NaN, 1, 4, 3])};
  assert.deepEqual(columnRange(m, 1), {min: 2, max: 4});
  assert.deepEqual(columnRange(m, 2), {min: 3, max: 3});
  assert.equal(columnRange({rows: ['a'], cols: [0], values: Float64Array.from([NaN])}, 0), null);
  const px = matrixPixels(m, () => ({min: 0, max: 4}), false, table);
  assert.equal(px.length, 2 * 3 * 4);
  const r = (row: number, col: number) => px[(row * 3 + col) * 4];
  const a = (row: number, col: number) => px[(row * 3 + col) * 4 + 3];
  assert.deepEqual([r(0, 0), r(0, 1), r(1, 0), r(1, 1), r(1, 2)], [table[0], table[128 * 3], table[64 * 3], table[255 * 3], table[191 * 3]]);
  assert.equal(a(0, 2), 0); // NaN: not logged
  assert.equal(a(1, 2), 255);
  // Per column: each column spans its own range.
  const own = matrixPixels(m, (c) => columnRange(m, c), false, table);
  assert.equal(own[(0 * 3 + 1) * 4], table[0]); // 2 is column 1's low end
  assert.equal(own[(1 * 3 + 1) * 4], table[255 * 3]); // 4 its high end
});
