import assert from 'node:assert/strict';
import {test} from 'node:test';
import {clampFrame, frameCount, frameRows, seriesLayout, tileSize, volumeFrame} from '../src/layout';

test('a series layout is the recorded one, else inferred from the shape as older readers did', () => {
  for (const l of ['image', 'sequence', 'tokens', 'features', 'volume']) assert.equal(seriesLayout({layout: l}, [3, 3]), l);
  assert.equal(seriesLayout({layout: ''}, [12]), 'sequence');
  assert.equal(seriesLayout({}, [8, 8]), 'image');
  assert.equal(seriesLayout({}), 'image');
  // A layout this reader does not know is inferred, not trusted.
  assert.equal(seriesLayout({layout: 'hologram'}, [5]), 'sequence');
});

test('tile sizes follow metadata.tile_height for every layout', () => {
  assert.deepEqual(tileSize([16, 12], 'image'), {width: 12, height: 16});
  assert.deepEqual(tileSize([16, 12, 3], 'image'), {width: 12, height: 16});
  assert.deepEqual(tileSize([20], 'sequence'), {width: 20, height: 1});
  assert.deepEqual(tileSize([20, 2], 'sequence'), {width: 20, height: 2});
  assert.deepEqual(tileSize([8], 'tokens'), {width: 8, height: 1});
  assert.deepEqual(tileSize([4], 'features'), {width: 4, height: 1});
  assert.deepEqual(tileSize([4, 8, 6], 'volume'), {width: 6, height: 32});
  assert.deepEqual(tileSize([4, 8, 6, 1], 'volume'), {width: 6, height: 32});
  assert.deepEqual(tileSize([], 'image'), {width: 0, height: 0});
});

test('volumes hold D frames; other layouts one', () => {
  assert.equal(frameCount([4, 8, 8], 'volume'), 4);
  assert.equal(frameCount([4, 8, 8, 1], 'volume'), 4);
  assert.equal(frameCount([4, 8, 8], 'image'), 1);
  assert.equal(frameCount([8], 'volume'), 1);
  assert.deepEqual([clampFrame(-1, 4), clampFrame(2.7, 4), clampFrame(9, 4), clampFrame(NaN, 4), clampFrame(3, 1)], [0, 2, 3, 0, 0]);
  assert.deepEqual(frameRows(32, 4, 2), {top: 16, height: 8});
  assert.deepEqual(frameRows(32, 4, 7), {top: 24, height: 8});
  assert.deepEqual(frameRows(5, 1, 3), {top: 0, height: 5});
});

test('a volume tile is cut into frame views of its rows, the same object per frame', () => {
  // 3 frames of 2 x 2, stacked top to bottom (a strip 2 wide, 6 high).
  const g = {width: 2, height: 6, data: Uint8Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])};
  const frames = [0, 1, 2].map((k) => volumeFrame(g, 3, k));
  assert.deepEqual(
    frames.map((f) => [f.width, f.height, [...f.data]]),
    [
      [2, 2, [0, 1, 2, 3]],
      [2, 2, [10, 11, 12, 13]],
      [2, 2, [20, 21, 22, 23]],
    ],
  );
  assert.equal(frames[1].data.buffer, g.data.buffer); // a view, no copy
  assert.equal(volumeFrame(g, 3, 1), frames[1]); // cached: resampling caches keyed on it hold
  assert.equal(volumeFrame(g, 3, 5), frames[2]); // clamped
  assert.equal(volumeFrame(g, 1, 0), g);
  assert.throws(() => volumeFrame(g, 4, 0), /whole frames.*height=6, depth=4/);
});
