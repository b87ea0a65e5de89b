import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Api, expandManifest, imageRefs, servedTile} from '../src/api';

function fakeFetch(routes: Record<string, () => Response>) {
  const calls: string[] = [];
  const fn = async (url: string) => {
    calls.push(url);
    const r = routes[url.split('?')[0]];
    return r ? r() : new Response(JSON.stringify({error: 'no route'}), {status: 404});
  };
  return {fn, calls};
}

const TILE = {width: 2, height: 2, frames: 1, channels: 1};
const STEPS = {run: 'r', tag: 't', steps: [{step: 0, wall_time: 1, manifest: {version: 2, kind: 'explanation', shape: [2, 2], columns: {sample: [0], min: [0], max: [1]}}, layout: 'image', tile: TILE, blobs: ['blob?key=a']}]};

test('URLs are relative and names are encoded', async () => {
  const {fn, calls} = fakeFetch({'./steps': () => new Response(JSON.stringify(STEPS))});
  const api = new Api(fn);
  await api.series('a/b <c>&', 'x/y#z');
  assert.equal(calls[0], './steps?run=a%2Fb%20%3Cc%3E%26&tag=x%2Fy%23z');
});

test('series are cached until invalidated', async () => {
  const {fn, calls} = fakeFetch({'./steps': () => new Response(JSON.stringify(STEPS))});
  const api = new Api(fn);
  const a = await api.series('r', 't');
  const b = await api.series('r', 't');
  assert.equal(calls.length, 1);
  assert.equal(a, b);
  assert.equal(a.steps[0].step, 0);
  api.invalidate();
  await api.series('r', 't');
  assert.equal(calls.length, 2);
});

test('errors carry the server message and are not cached', async () => {
  const {fn, calls} = fakeFetch({
    './steps': () => new Response(JSON.stringify({error: 'unknown run'}), {status: 404}),
  });
  const api = new Api(fn);
  await assert.rejects(api.series('r', 't'), /404.*unknown run/);
  await assert.rejects(api.series('r', 't'));
  assert.equal(calls.length, 2);
});

test('served columns become one item per blob', () => {
  const m = expandManifest({
    version: 2,
    kind: 'explanation',
    shape: [4, 4],
    columns: {sample: [0, 1, 1], class_id: [3, 1, 7], score: [1.5, null, -2], min: [0, 0.5, 1], max: [1, 2, 3], nonfinite: [0, 2, 0], label: [3, 3, 1]},
    names: {'1': 'dog', '3': 'cat'},
  });
  assert.equal(m.items.length, 3);
  assert.deepEqual(m.items[0], {sample: 0, class_id: 3, class_name: 'cat', score: 1.5, min: 0, max: 1, nonfinite: 0, label: 3, label_name: 'cat'});
  assert.deepEqual(m.items[1], {sample: 1, class_id: 1, class_name: 'dog', score: null, min: 0.5, max: 2, nonfinite: 2, label: 3, label_name: 'cat'});
  // Class 7 has no name: the item has none.
  assert.deepEqual(m.items[2], {sample: 1, class_id: 7, score: -2, min: 1, max: 3, nonfinite: 0, label: 1, label_name: 'dog'});
});

test('version 1 manifests served as columns keep their name columns', () => {
  const m = expandManifest({version: 1, kind: 'inputs', shape: [2, 2, 3], columns: {sample: [0, 1], min: [0, 0], max: [1, 1], label: [2, null], label_name: ['c', null]}});
  assert.deepEqual(m.items, [{sample: 0, min: 0, max: 1, label: 2, label_name: 'c'}, {sample: 1, min: 0, max: 1}]);
});

test('series hands out expanded manifests and the skipped steps', async () => {
  const body = {...STEPS, skipped_steps: [{step: 7, reason: 'corrupt tbexplain manifest'}]};
  const {fn} = fakeFetch({'./steps': () => new Response(JSON.stringify(body))});
  const api = new Api(fn);
  assert.equal(api.peekSeries('r', 't'), undefined);
  const data = await api.series('r', 't');
  const [entry] = data.steps;
  assert.deepEqual(entry.manifest.items, [{sample: 0, min: 0, max: 1}]);
  assert.deepEqual([entry.layout, entry.tile], ['image', {width: 2, height: 2, frames: 1}]);
  assert.deepEqual(entry.images, [{url: 'blob?key=a', tile: 0, count: 1, width: 2, height: 2}]);
  assert.deepEqual(data.skipped, [{step: 7, reason: 'corrupt tbexplain manifest'}]);
  // Peeking hands out what arrived, also once stale, without fetching.
  api.invalidate();
  assert.equal(api.peekSeries('r', 't'), data);
});

test('an answer without skipped_steps (an older plugin) skips nothing', async () => {
  const {fn} = fakeFetch({'./steps': () => new Response(JSON.stringify(STEPS))});
  assert.deepEqual((await new Api(fn).series('r', 't')).skipped, []);
});

test('the predicted column keeps its nulls, names its classes, and target_name passes through', () => {
  const m = expandManifest({
    version: 3,
    kind: 'explanation',
    shape: [2, 2],
    columns: {sample: [0, 1], score: [0.5, 2], predicted: [1, null], min: [0, 0], max: [1, 1]},
    names: {'1': 'dog'},
    target_name: 'age (regression)',
  });
  assert.deepEqual(m.items[0], {sample: 0, score: 0.5, predicted: 1, predicted_name: 'dog', min: 0, max: 1});
  assert.deepEqual(m.items[1], {sample: 1, score: 2, predicted: null, min: 0, max: 1});
  assert.equal(m.target_name, 'age (regression)');
  assert.equal(expandManifest({version: 3, kind: 'explanation', shape: [2, 2], columns: {}}).target_name, undefined);
});

test('metrics are fetched once per series until invalidated, with relative URLs', async () => {
  const body = {run: 'r/1', tag: 'x/y', metrics: {pointing_game: [{step: 0, wall_time: 1.5, value: 0.25}]}};
  const {fn, calls} = fakeFetch({'./metrics': () => new Response(JSON.stringify(body))});
  const api = new Api(fn);
  assert.deepEqual(await api.metrics('r/1', 'x/y'), body.metrics);
  await api.metrics('r/1', 'x/y');
  assert.deepEqual(calls, ['./metrics?run=r%2F1&tag=x%2Fy']);
  api.invalidate();
  await api.metrics('r/1', 'x/y');
  assert.equal(calls.length, 2);
  const missing = fakeFetch({});
  await assert.rejects(new Api(missing.fn).metrics('r', 't'), /404/);
});

test('rows map to tiles of the strips in order', () => {
  const blobs = ['s0', 's1', 's2'];
  const refs = imageRefs({tiles: 4}, servedTile({width: 7, height: 5, frames: 1}), 10, blobs);
  assert.deepEqual(
    refs.map((r) => [r.url, r.tile]),
    [['s0', 0], ['s0', 1], ['s0', 2], ['s0', 3], ['s1', 0], ['s1', 1], ['s1', 2], ['s1', 3], ['s2', 0], ['s2', 1]],
  );
  assert.ok(refs.every((r) => r.height === 5 && r.width === 7));
  // Full strips hold `tiles` images, the last one the rest.
  assert.deepEqual(
    refs.map((r) => r.count),
    [4, 4, 4, 4, 4, 4, 4, 4, 2, 2],
  );
});

test('one image per blob (tiles 1 or absent) is the whole blob', () => {
  const tile = servedTile({width: 3, height: 4});
  assert.deepEqual(imageRefs({}, tile, 2, ['a', 'b']), [
    {url: 'a', tile: 0, count: 1, width: 3, height: 4},
    {url: 'b', tile: 0, count: 1, width: 3, height: 4},
  ]);
});

test('a served tile keeps positive integer sizes only, and at least one frame', () => {
  assert.deepEqual(servedTile({width: 6, height: 32, frames: 4}), {width: 6, height: 32, frames: 4});
  // A size /steps does not give leaves the strip unchecked (0).
  assert.deepEqual(servedTile(undefined), {width: 0, height: 0, frames: 1});
  assert.deepEqual(servedTile({width: -1, height: 2.5, frames: 0}), {width: 0, height: 0, frames: 1});
  assert.deepEqual(servedTile({width: 'bad', height: 3} as unknown as {width: number}), {width: 0, height: 3, frames: 1});
});

test('series maps every row of a multi-strip step to its tile', async () => {
  const columns = {sample: [0, 1, 2], min: [0, 0, 0], max: [1, 1, 1]};
  const steps = {run: 'r', tag: 't', steps: [{step: 0, wall_time: 1, manifest: {version: 3, kind: 'explanation', shape: [2, 2], tiles: 2, columns}, layout: 'image', tile: TILE, blobs: ['x', 'y']}]};
  const {fn} = fakeFetch({'./steps': () => new Response(JSON.stringify(steps))});
  const [entry] = (await new Api(fn).series('r', 't')).steps;
  assert.deepEqual(entry.images, [
    {url: 'x', tile: 0, count: 2, width: 2, height: 2},
    {url: 'x', tile: 1, count: 2, width: 2, height: 2},
    {url: 'y', tile: 0, count: 1, width: 2, height: 2},
  ]);
});

test('each step is cut by the layout and tile /steps gives it, whatever /tags said', async () => {
  const tags = {runs: {r: {v: {kind: 'explanation', layout: 'image'}}}, skipped: []};
  const manifest = {version: 4, kind: 'explanation', shape: [3, 4, 5], tiles: 2, columns: {sample: [0, 1], min: [0, 0], max: [1, 1]}};
  const steps = {run: 'r', tag: 'v', steps: [{step: 0, wall_time: 1, manifest, layout: 'volume', tile: {width: 5, height: 12, frames: 3, channels: 1}, blobs: ['b']}]};
  const calls: string[] = [];
  const fn = async (url: string) => {
    calls.push(url);
    return new Response(JSON.stringify(url === './tags' ? tags : steps));
  };
  const api = new Api(fn);
  await api.tags();
  const [entry] = (await api.series('r', 'v')).steps;
  assert.equal(entry.layout, 'volume');
  assert.deepEqual(entry.tile, {width: 5, height: 12, frames: 3});
  assert.deepEqual(
    entry.images.map((r) => [r.tile, r.count, r.width, r.height]),
    [
      [0, 2, 5, 12],
      [1, 2, 5, 12],
    ],
  );
  assert.deepEqual(calls, ['./tags', './steps?run=r&tag=v']);
});
