import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Api} from '../src/api';

function fakeFetch(routes: Record<string, () => Response>) {
  const calls: string[] = [];
  const fn = async (url: string) => {
    calls.push(url);
    const r = routes[url.split('?')[0]];
    return r ? r() : new Response(JSON.stringify({error: 'no route'}), {status: 404});
  };
  return {fn, calls};
}

const STEPS = {run: 'r', tag: 't', steps: [{step: 0, wall_time: 1, manifest: {version: 1, kind: 'explanation', shape: [2, 2], items: []}, blobs: []}]};

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
  assert.equal(a[0].step, 0);
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
