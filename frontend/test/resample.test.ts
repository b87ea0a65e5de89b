import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {Gray} from '../src/images';
import {HeatSource, shownGray} from '../src/render/cell';
import {cachedUpsample, upsampleGray} from '../src/resample';

function gray(width: number, height: number, values: readonly number[]): Gray {
  return {width, height, data: Uint8Array.from(values)};
}

/**
 * The value of `tf.image.resize(g, [H, W], "bilinear")` at (x, y), written the
 * way TensorFlow's kernel computes its weights (lower = max(floor(in), 0),
 * upper = min(ceil(in), size - 1), lerp = in - floor(in)), not rounded.
 */
function tfBilinear(g: Gray, W: number, H: number, x: number, y: number): number {
  const weights = (i: number, inSize: number, outSize: number) => {
    const s = (i + 0.5) * (inSize / outSize) - 0.5;
    const f = Math.floor(s);
    return {lower: Math.max(f, 0), upper: Math.min(Math.ceil(s), inSize - 1), lerp: s - f};
  };
  const wx = weights(x, g.width, W);
  const wy = weights(y, g.height, H);
  const at = (xx: number, yy: number) => g.data[yy * g.width + xx];
  const top = at(wx.lower, wy.lower) + (at(wx.upper, wy.lower) - at(wx.lower, wy.lower)) * wx.lerp;
  const bottom = at(wx.lower, wy.upper) + (at(wx.upper, wy.upper) - at(wx.lower, wy.upper)) * wx.lerp;
  return top + (bottom - top) * wy.lerp;
}

test('same size is the identity', () => {
  const g = gray(3, 2, [0, 10, 20, 200, 250, 255]);
  const out = upsampleGray(g, 3, 2);
  assert.deepEqual([...out.data], [0, 10, 20, 200, 250, 255]);
  assert.equal(out.width, 3);
  assert.equal(out.height, 2);
});

test('2x2 -> 4x4 uses half-pixel centres (hand-computed)', () => {
  // Source coordinates of the 4 outputs per axis: (i + 0.5) / 2 - 0.5 =
  // -0.25, 0.25, 0.75, 1.25 -> clamped 0, 0.25, 0.75, 1. With corners
  // [[0, 255], [255, 0]] the value is 255 * (tx + ty - 2 tx ty).
  const out = upsampleGray(gray(2, 2, [0, 255, 255, 0]), 4, 4);
  assert.equal(out.width, 4);
  assert.equal(out.height, 4);
  // prettier-ignore
  assert.deepEqual([...out.data], [
    0, 64, 191, 255, // 0, 63.75, 191.25, 255
    64, 96, 159, 191, // 63.75, 95.625, 159.375, 191.25
    191, 159, 96, 64,
    255, 191, 64, 0,
  ]);
  // align_corners would give 0, 85, 170, 255 on the first row.
  assert.notDeepEqual([...out.data.slice(0, 4)], [0, 85, 170, 255]);
});

test('a ramp 3 -> 7 (non-integer ratio) follows the formula on every pixel', () => {
  const g = gray(3, 1, [0, 100, 250]);
  const out = upsampleGray(g, 7, 1);
  // x = 2: source (2.5) * 3/7 - 0.5 = 0.5714...: 0 + 100 * 0.5714 = 57.14 -> 57.
  assert.equal(out.data[2], 57);
  // x = 4: source 4.5 * 3/7 - 0.5 = 1.4286: 100 + 150 * 0.4286 = 164.3 -> 164.
  assert.equal(out.data[4], 164);
  for (let x = 0; x < 7; x++) assert.equal(out.data[x], Math.round(tfBilinear(g, 7, 1, x, 0)), `x=${x}`);
});

test('2-D non-integer ratios match the direct formula everywhere', () => {
  const w = 3;
  const h = 5;
  const values = Array.from({length: w * h}, (_, i) => (i * 97 + 13) % 256);
  const g = gray(w, h, values);
  const out = upsampleGray(g, 11, 17);
  assert.equal(out.width, 11);
  assert.equal(out.height, 17);
  for (let y = 0; y < 17; y++) {
    for (let x = 0; x < 11; x++) {
      const want = tfBilinear(g, 11, 17, x, y);
      assert.ok(Math.abs(out.data[y * 11 + x] - want) <= 0.5 + 1e-9, `(${x}, ${y}): ${out.data[y * 11 + x]} vs ${want}`);
    }
  }
});

test('matches tf.image.resize on a 2x3 map to 7x5', () => {
  // tf.image.resize(g[None, :, :, None], (5, 7), "bilinear") in TF 2.21, float32.
  const g = gray(2, 3, [46, 205, 222, 149, 10, 24]);
  // prettier-ignore
  const tf = [
    46.0, 46.0, 80.0714, 125.5, 170.9286, 205.0, 205.0,
    116.4, 116.4, 130.5857, 149.5, 168.4143, 182.6, 182.6,
    222.0, 222.0, 206.3571, 185.5, 164.6429, 149.0, 149.0,
    94.8, 94.8, 90.3428, 84.4, 78.4571, 74.0, 74.0,
    10.0, 10.0, 13.0, 17.0, 21.0, 24.0, 24.0,
  ];
  const out = upsampleGray(g, 7, 5);
  tf.forEach((v, i) => assert.ok(Math.abs(out.data[i] - v) <= 0.5 + 1e-3, `pixel ${i}: ${out.data[i]} vs ${v}`));
});

test('edges clamp to the border pixels (no extrapolation)', () => {
  const out = upsampleGray(gray(2, 1, [10, 250]), 8, 1);
  // Sources -0.375, -0.125 clamp to 0; 1.125, 1.375 clamp to 1.
  assert.deepEqual([...out.data.slice(0, 2)], [10, 10]);
  assert.deepEqual([...out.data.slice(6)], [250, 250]);
  // Inside: x = 2 -> 0.125: 10 + 240 * 0.125 = 40.
  assert.equal(out.data[2], 40);
  assert.deepEqual([...upsampleGray(gray(1, 1, [77]), 3, 3).data], Array(9).fill(77));
});

test('bad sizes are refused', () => {
  assert.throws(() => upsampleGray(gray(2, 2, [0, 0, 0, 0]), 0, 4), /Received: width=0/);
  assert.throws(() => upsampleGray(gray(2, 2, [0, 0, 0]), 4, 4), /bytes=3/);
});

test('cachedUpsample computes once per map and size', () => {
  const g = gray(2, 2, [0, 255, 255, 0]);
  const a = cachedUpsample(g, 4, 4);
  assert.equal(cachedUpsample(g, 4, 4), a);
  assert.deepEqual(a, upsampleGray(g, 4, 4));
  const b = cachedUpsample(g, 8, 8);
  assert.notEqual(b, a);
  assert.equal(b.width, 8);
  assert.equal(cachedUpsample(g, 2, 2), g);
});

function source(heat: Gray, base: {width: number; height: number} | null, stretch = false, depth = 1): HeatSource {
  return {heat, item: {min: 0, max: 1}, base: base as ImageBitmap | null, signed: false, stretch, depth, shape: [heat.height, heat.width], mask: null};
}

test('shownGray upsamples a 2-D map only under a larger input image', () => {
  const heat = gray(2, 2, [0, 255, 255, 0]);
  const shown = shownGray(source(heat, {width: 4, height: 4}));
  assert.deepEqual([shown.width, shown.height], [4, 4]);
  assert.deepEqual(shown.data, upsampleGray(heat, 4, 4).data);
  assert.equal(shownGray(source(heat, {width: 4, height: 4})), shown); // cached: repaints reuse it
  // Only one dimension larger (e.g. 2x2 map under a 2x6 image).
  assert.deepEqual([shownGray(source(heat, {width: 6, height: 2})).width, shownGray(source(heat, {width: 6, height: 2})).height], [6, 2]);
  // Native resolution: no image, same size, an image smaller than the map.
  assert.equal(shownGray(source(heat, null)), heat);
  assert.equal(shownGray(source(heat, {width: 2, height: 2})), heat);
  assert.equal(shownGray(source(heat, {width: 1, height: 8})), heat);
});

test('shownGray stretches a sequence over its input channel rows, never along time', () => {
  const heat = gray(5, 1, [0, 50, 100, 150, 200]);
  // Inputs [T, C] = [5, 3] are 3 pixel rows of 5: the map's row is repeated on each.
  const over = shownGray(source(heat, {width: 5, height: 3}, true));
  assert.deepEqual([over.width, over.height], [5, 3]);
  assert.deepEqual([...over.data], [0, 50, 100, 150, 200, 0, 50, 100, 150, 200, 0, 50, 100, 150, 200]);
  // An input of another length, one channel row, or none: the map's own row.
  assert.equal(shownGray(source(heat, {width: 10, height: 3}, true)), heat);
  assert.equal(shownGray(source(heat, {width: 5, height: 1}, true)), heat);
  assert.equal(shownGray(source(heat, null, true)), heat);
});

test('shownGray paints one frame of a volume, upsampled under its input frame', () => {
  // A 2-frame volume map of 2x2 frames, stacked: frame 0 then frame 1.
  const heat = gray(2, 4, [0, 10, 20, 30, 200, 210, 220, 230]);
  const f1 = shownGray(source(heat, null, false, 2), 1);
  assert.deepEqual([f1.width, f1.height, [...f1.data]], [2, 2, [200, 210, 220, 230]]);
  assert.deepEqual([...shownGray(source(heat, null, false, 2), 0).data], [0, 10, 20, 30]);
  // Under an input volume of 2 frames of 4x4 (a strip 4 wide, 8 high): each frame upsampled to 4x4.
  const up = shownGray(source(heat, {width: 4, height: 8}, false, 2), 1);
  assert.deepEqual([up.width, up.height], [4, 4]);
  assert.deepEqual(up.data, upsampleGray(gray(2, 2, [200, 210, 220, 230]), 4, 4).data);
  // Frames past the ends are clamped.
  assert.deepEqual([...shownGray(source(heat, null, false, 2), 9).data], [200, 210, 220, 230]);
});
