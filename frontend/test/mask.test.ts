import assert from 'node:assert/strict';
import {test} from 'node:test';
import {applyRegion, OUTSIDE_KEEP, regionAt} from '../src/mask';

test('a region is sampled at the painted size (nearest pixel), once per size', () => {
  // A 2 x 2 mask: top-left inside (255), the rest outside; a stray 100 is outside.
  const mask = {width: 2, height: 2, data: Uint8Array.from([255, 0, 100, 0])};
  const r = regionAt(mask, 4, 4);
  assert.deepEqual([...r], [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(regionAt(mask, 4, 4), r);
  assert.deepEqual([...regionAt(mask, 2, 2)], [1, 0, 0, 0]);
});

test('outside the region the painted colour is dimmed, inside it is kept', () => {
  const rgba = Uint8ClampedArray.from([200, 100, 50, 255, 200, 100, 50, 255]);
  applyRegion(rgba, Uint8Array.from([1, 0]));
  assert.deepEqual([...rgba.slice(0, 4)], [200, 100, 50, 255]);
  assert.deepEqual([...rgba.slice(4)], [Math.round(200 * OUTSIDE_KEEP), Math.round(100 * OUTSIDE_KEEP), Math.round(50 * OUTSIDE_KEEP), 255]);
});
