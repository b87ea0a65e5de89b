import assert from 'node:assert/strict';
import {test} from 'node:test';
import {decodeState, defaultState, encodeState, KeyValueStore, loadState, saveState, update} from '../src/state';
import {DEFAULT_VIEW, VIEWS, viewSpec} from '../src/views';

class Store implements KeyValueStore {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

test('the default state encodes to an empty string', () => {
  assert.equal(encodeState(defaultState()), '');
  assert.deepEqual(decodeState(''), defaultState());
});

test('a full state round-trips, including hostile run names', () => {
  const s = update(defaultState(), {
    view: 'compare',
    runs: ['<img src=x onerror=alert(1)>', 'a&b=c#d', 'ünïcode/run'],
    runFilter: '^run_(a|b)$',
    method: 'gradcam',
    layer: 'backbone/out_relu',
    classId: 3,
    label: 0,
    correctness: 'incorrect',
    step: 42,
    opacity: 0.25,
    colormap: 'magma',
    scale: 'shared',
    sample: 7,
    mask: false,
    own: {act: 'x/activations/conv1', flt: 'x/filters/conv2'},
  });
  assert.deepEqual(decodeState(encodeState(s)), s);
  assert.deepEqual(decodeState('#' + encodeState(s)), s);
});

test('malformed values fall back to defaults', () => {
  const s = decodeState('runs=notjson&c=1.5&s=abc&op=7&cm=jet&sc=log&ok=maybe&smp=-3');
  assert.deepEqual(s, defaultState());
  assert.deepEqual(decodeState('runs=%5B1%2C2%5D').runs, null);
});

test('the default view is the first registered; an unknown view is kept, not replaced', () => {
  assert.equal(defaultState().view, VIEWS[0].id);
  const s = decodeState('view=evil');
  assert.equal(s.view, 'evil');
  assert.equal(viewSpec(s.view), undefined); // the app shows it as an unknown view
  assert.equal(decodeState(encodeState(s)).view, 'evil');
  assert.equal(decodeState('view=' + 'x'.repeat(41)).view, VIEWS[0].id); // not an id at all
  for (const v of VIEWS) assert.equal(decodeState(encodeState(update(defaultState(), {view: v.id}))).view, v.id);
});

test('update does not mutate its input', () => {
  const s = defaultState();
  const t = update(s, {opacity: 0.1});
  assert.equal(s.opacity, 0.6);
  assert.equal(t.opacity, 0.1);
});

test('the hash wins over storage, storage over defaults', () => {
  const store = new Store();
  saveState(update(defaultState(), {view: 'epochs', step: 3}), store);
  assert.equal(loadState('', store).view, 'epochs');
  assert.equal(loadState('', store).step, 3);
  assert.equal(loadState('#view=compare', store).view, 'compare');
  assert.deepEqual(loadState('', null), defaultState());
});

test('storage errors are ignored', () => {
  const broken: KeyValueStore = {
    getItem() {
      throw new Error('denied');
    },
    setItem() {
      throw new Error('quota');
    },
  };
  assert.deepEqual(loadState('', broken), defaultState());
  assert.equal(saveState(update(defaultState(), {sample: 2}), broken), 'smp=2');
});

test('the target region is shown unless turned off; other mask values are ignored', () => {
  assert.equal(defaultState().mask, true);
  assert.equal(decodeState('mk=0').mask, false);
  assert.equal(encodeState(update(defaultState(), {mask: false})), 'mk=0');
  assert.equal(decodeState('mk=no').mask, true);
});

test("a view's own settings are kept under its keys, as the URLs of older tabs wrote them", () => {
  // The Activations and Filters views name `act` and `flt`.
  const s = decodeState('act=x%2Factivations%2Fconv1&flt=f&smp=2');
  assert.deepEqual(s.own, {act: 'x/activations/conv1', flt: 'f'});
  assert.equal(s.sample, 2); // a shared key is not a view's own
  assert.equal(encodeState(s), 'smp=2&act=x%2Factivations%2Fconv1&flt=f');
  // Keys that cannot be a view's (the shared ones, odd or long names) and long values are dropped.
  const odd = decodeState(`Act=1&a-b=2&${'k'.repeat(17)}=3&long=${'v'.repeat(501)}&ok=incorrect`);
  assert.deepEqual(odd.own, {});
  assert.equal(odd.correctness, 'incorrect');
  // At most 16 of them.
  const many = decodeState(Array.from({length: 20}, (_, i) => `k${i}=v`).join('&'));
  assert.equal(Object.keys(many.own).length, 16);
  // An empty value is the view's default: not written.
  assert.equal(encodeState(update(defaultState(), {own: {act: ''}})), '');
});

test('the default view is registered first', () => {
  assert.equal(DEFAULT_VIEW, 'browse');
  assert.equal(VIEWS[0].id, DEFAULT_VIEW);
});
