import assert from 'node:assert/strict';
import {test} from 'node:test';
import {clampFrame, frameRows, tileFrame} from '../src/tiles';

// A row's tile size and layout come from /steps (`metadata.tile_geometry`,
// `metadata.resolve_layout`; tested in tests/plugin/test_metadata.py).

test('frames are clamped and cut as row ranges of their tile', () => {
  assert.deepEqual([clampFrame(-1, 4), clampFrame(2.7, 4), clampFrame(9, 4), clampFrame(NaN, 4), clampFrame(3, 1)], [0, 2, 3, 0, 0]);
  assert.deepEqual(frameRows(32, 4, 2), {top: 16, height: 8});
  assert.deepEqual(frameRows(32, 4, 7), {top: 24, height: 8});
  assert.deepEqual(frameRows(5, 1, 3), {top: 0, height: 5});
});

test('a tile of several frames is cut into frame views of its rows, the same object per frame', () => {
  // 3 frames of 2 x 2, stacked top to bottom (a strip 2 wide, 6 high).
  const g = {width: 2, height: 6, data: Uint8Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23])};
  const frames = [0, 1, 2].map((k) => tileFrame(g, 3, k));
  assert.deepEqual(
    frames.map((f) => [f.width, f.height, [...f.data]]),
    [
      [2, 2, [0, 1, 2, 3]],
      [2, 2, [10, 11, 12, 13]],
      [2, 2, [20, 21, 22, 23]],
    ],
  );
  assert.equal(frames[1].data.buffer, g.data.buffer); // a view, no copy
  assert.equal(tileFrame(g, 3, 1), frames[1]); // cached: resampling caches keyed on it hold
  assert.equal(tileFrame(g, 3, 5), frames[2]); // clamped
  assert.equal(tileFrame(g, 1, 0), g);
  assert.throws(() => tileFrame(g, 4, 0), /whole frames.*height=6, frames=4/);
});
