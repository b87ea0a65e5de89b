import assert from 'node:assert/strict';
import {test} from 'node:test';
import {byteToIndex, colorize, displayRange, formatValue, rawValue, sharedRange, symmetric} from '../src/scale';

test('rawValue inverts the 8-bit quantisation', () => {
  const r = {min: -0.5, max: 1.5};
  assert.equal(rawValue(0, r), -0.5);
  assert.equal(rawValue(255, r), 1.5);
  assert.ok(Math.abs(rawValue(51, r) - (-0.5 + 0.4)) < 1e-12);
});

test('sharedRange spans all ranges and skips non-finite ends', () => {
  assert.deepEqual(sharedRange([{min: 0, max: 1}, {min: -2, max: 0.5}, {min: NaN, max: 3}]), {min: -2, max: 3});
  assert.equal(sharedRange([]), null);
});

test('per-map scale maps own min..max to the full LUT', () => {
  const item = {min: 2, max: 4};
  const remap = byteToIndex(item, displayRange(item, 'map', null, false), false);
  assert.equal(remap[0], 0);
  assert.equal(remap[255], 255);
  assert.equal(remap[128], 128);
});

test('shared scale keeps magnitudes comparable across maps', () => {
  const weak = {min: 0, max: 1};
  const strong = {min: 0, max: 4};
  const shared = sharedRange([weak, strong]);
  const w = byteToIndex(weak, displayRange(weak, 'shared', shared, false), false);
  const s = byteToIndex(strong, displayRange(strong, 'shared', shared, false), false);
  // The weak map's maximum (raw 1) lands at a quarter of the scale, the strong one's at the top.
  assert.equal(w[255], Math.round(255 / 4));
  assert.equal(s[255], 255);
  // Per map, both would saturate.
  assert.equal(byteToIndex(weak, displayRange(weak, 'map', shared, false), false)[255], 255);
});

test('signed maps are centred at zero', () => {
  const item = {min: -1, max: 3};
  const d = displayRange(item, 'map', null, true);
  assert.deepEqual(d, {min: -3, max: 3});
  const remap = byteToIndex(item, d, true);
  // raw 0 is at p = 255/4; it must map to the middle of the LUT.
  const p0 = Math.round(255 / 4);
  assert.ok(Math.abs(remap[p0] - 127.5) <= 1.5, String(remap[p0]));
  assert.deepEqual(symmetric({min: -5, max: 2}), {min: -5, max: 5});
});

test('values outside the display range clamp to the ends of the LUT', () => {
  // An item spanning [-1, 3] shown on [0, 1]: bytes below raw 0 go to 0, above raw 1 to 255
  // (not wrapped around the 8-bit table).
  const item = {min: -1, max: 3};
  const remap = byteToIndex(item, {min: 0, max: 1}, false);
  for (let p = 0; p < 256; p++) {
    const raw = -1 + (p / 255) * 4;
    if (raw <= 0) assert.equal(remap[p], 0, `byte ${p} (raw ${raw})`);
    else if (raw >= 1) assert.equal(remap[p], 255, `byte ${p} (raw ${raw})`);
    else assert.equal(remap[p], Math.round(raw * 255), `byte ${p} (raw ${raw})`);
  }
  assert.equal(remap[255], 255);
});

test('a constant map does not divide by zero', () => {
  const item = {min: 1, max: 1};
  assert.equal(byteToIndex(item, displayRange(item, 'map', null, false), false)[200], 0);
  assert.equal(byteToIndex(item, displayRange({min: 0, max: 0}, 'map', null, true), true)[200], 128);
});

test('colorize blends with opacity over the base image', () => {
  const table = new Uint8Array(768);
  table.set([200, 100, 0], 255 * 3);
  const gray = new Uint8Array([255]);
  const remap = new Uint8Array(256).map((_, i) => i);
  const base = new Uint8ClampedArray([0, 0, 100, 255]);
  const out = new Uint8ClampedArray(4);
  colorize(gray, remap, table, 0.5, base, out);
  assert.deepEqual([...out], [100, 50, 50, 255]);
  colorize(gray, remap, table, 0, base, out);
  assert.deepEqual([...out], [0, 0, 100, 255]);
  colorize(gray, remap, table, 1, null, out);
  assert.deepEqual([...out], [200, 100, 0, 255]);
});

test('formatValue is compact', () => {
  assert.equal(formatValue(0), '0');
  assert.equal(formatValue(1.23456), '1.23');
  assert.equal(formatValue(123456), '1.23e+5');
  assert.equal(formatValue(NaN), 'NaN');
});
