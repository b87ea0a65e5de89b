import assert from 'node:assert/strict';
import {test} from 'node:test';
import {COLORMAPS, cssColor, isColormapName, lut, resolveColormap} from '../src/colormap';

function luminance(t: Uint8Array, i: number): number {
  // Relative luminance of sRGB bytes (linearised).
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(t[i * 3]) + 0.7152 * lin(t[i * 3 + 1]) + 0.0722 * lin(t[i * 3 + 2]);
}

test('every table has 256 RGB entries', () => {
  for (const c of COLORMAPS) assert.equal(lut(c.name).length, 768, c.name);
});

test('viridis endpoints match the published control points', () => {
  const t = lut('viridis');
  assert.deepEqual([...t.slice(0, 3)], [68, 1, 84]);
  assert.deepEqual([...t.slice(765, 768)], [253, 231, 37]);
});

test('sequential maps get brighter monotonically (perceptual ordering)', () => {
  for (const name of ['viridis', 'magma', 'gray'] as const) {
    const t = lut(name);
    for (let i = 1; i < 256; i++) {
      // 8-bit rounding may cost a hair of luminance between neighbours, never more.
      assert.ok(luminance(t, i) >= luminance(t, i - 1) - 1e-3, `${name} luminance drops at ${i}`);
    }
    for (let i = 8; i < 256; i += 8) assert.ok(luminance(t, i) > luminance(t, i - 8), `${name} not increasing near ${i}`);
  }
});

test('gray is the identity ramp', () => {
  const t = lut('gray');
  for (let i = 0; i < 256; i++) assert.deepEqual([...t.slice(i * 3, i * 3 + 3)], [i, i, i]);
});

test('the diverging map is near white in the middle and blue / red at the ends', () => {
  const t = lut('bwr');
  const mid = [...t.slice(127 * 3, 127 * 3 + 3)];
  for (const c of mid) assert.ok(c > 230, `middle ${mid}`);
  assert.ok(t[2] > t[0], 'low end is blue');
  assert.ok(t[765] > t[767], 'high end is red');
  // Lightness rises to the middle and falls after it.
  assert.ok(luminance(t, 64) < luminance(t, 127));
  assert.ok(luminance(t, 191) < luminance(t, 128));
});

test('auto resolves by signedness; names are validated', () => {
  assert.equal(resolveColormap('auto', false), 'viridis');
  assert.equal(resolveColormap('auto', true), 'bwr');
  assert.equal(resolveColormap('magma', true), 'magma');
  assert.ok(isColormapName('gray'));
  assert.ok(!isColormapName('jet'));
  assert.ok(!isColormapName('constructor'));
  assert.throws(() => lut('jet' as never), /Received: name="jet"/);
});

test('cssColor clamps the index', () => {
  const t = lut('gray');
  assert.equal(cssColor(t, -5), 'rgb(0, 0, 0)');
  assert.equal(cssColor(t, 300), 'rgb(255, 255, 255)');
});
