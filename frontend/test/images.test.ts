import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Lru, grayTiles, stripMismatch} from '../src/images';

test('a gray strip is cut into row-major tile views without copies', () => {
  const data = Uint8Array.from({length: 3 * 2 * 4}, (_, i) => i); // 4 wide, 3 tiles of 2 rows
  const tiles = grayTiles({width: 4, height: 6, data}, 2, 3);
  assert.equal(tiles.length, 3);
  assert.deepEqual(
    tiles.map((t) => [t.width, t.height, [...t.data]]),
    [
      [4, 2, [0, 1, 2, 3, 4, 5, 6, 7]],
      [4, 2, [8, 9, 10, 11, 12, 13, 14, 15]],
      [4, 2, [16, 17, 18, 19, 20, 21, 22, 23]],
    ],
  );
  assert.equal(tiles[1].data.buffer, data.buffer); // views of the decoded bytes
  const whole = grayTiles({width: 4, height: 6, data}, 6, 1);
  assert.equal(whole.length, 1);
  assert.equal(whole[0].height, 6);
});

test('a strip must have the size its manifest gives', () => {
  const ref = {count: 3, width: 4, height: 2};
  assert.equal(stripMismatch(4, 6, ref), null);
  // One row short (a strip of the wrong height for shape / tiles), or too wide.
  assert.match(stripMismatch(4, 5, ref) ?? '', /4 x 5 pixels.*3 image\(s\) of 4 x 2/);
  assert.notEqual(stripMismatch(4, 8, ref), null); // too tall would cut the wrong rows
  assert.notEqual(stripMismatch(5, 6, ref), null);
  assert.notEqual(stripMismatch(0, 0, ref), null);
  // Without a shape only an even split is checked.
  assert.equal(stripMismatch(7, 6, {count: 3, width: 0, height: 0}), null);
  assert.notEqual(stripMismatch(7, 7, {count: 3, width: 0, height: 0}), null);
});

test('the LRU is bounded by weight, set when values arrive', () => {
  const lru = new Lru<string>(10);
  lru.set('a', 'A');
  lru.set('b', 'B');
  lru.weigh('a', 'A', 6);
  lru.weigh('b', 'B', 4);
  assert.equal(lru.size, 2);
  assert.equal(lru.weight, 10);
  assert.equal(lru.get('a'), 'A'); // now the most recently used
  lru.set('c', 'C', 3); // 13 > 10: evicts b, the least recently used
  assert.equal(lru.get('b'), undefined);
  assert.deepEqual([lru.get('a'), lru.get('c')], ['A', 'C']);
  assert.equal(lru.weight, 9);
  // A stale weighing (the key was replaced) changes nothing.
  lru.set('a', 'A2', 1);
  lru.weigh('a', 'A', 100);
  assert.equal(lru.weight, 4);
  // A value heavier than the limit stays, alone.
  lru.set('d', 'D', 50);
  assert.equal(lru.size, 1);
  assert.equal(lru.get('d'), 'D');
});
