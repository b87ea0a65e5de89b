import assert from 'node:assert/strict';
import {test} from 'node:test';
import {DEFAULT_VIEW, explanationLayouts, hasData, needsText, viewSpec, VIEWS} from '../src/views';

test('every view is registered once, with a label, a module and the kinds it needs', () => {
  const ids = VIEWS.map((v) => v.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const v of VIEWS) {
    assert.ok(v.label.length > 0, v.id);
    assert.equal(typeof v.impl.render, 'function', v.id);
    assert.equal(typeof v.impl.series, 'function', v.id);
    assert.ok(v.needs.length > 0, v.id);
  }
  assert.equal(DEFAULT_VIEW, 'browse');
  assert.equal(viewSpec('epochs')?.label, 'Over epochs');
  assert.equal(viewSpec('nope'), undefined);
});

test('a view has data when a series of a kind it needs is present', () => {
  const filters = viewSpec('filters')!;
  assert.equal(hasData(filters, new Set(['explanation', 'inputs'])), false);
  assert.equal(hasData(filters, new Set(['filters'])), true);
  assert.equal(hasData(viewSpec('pipeline')!, new Set(['inputs'])), true);
});

test('Text and Features show the explanations of their layout only', () => {
  const text = viewSpec('text')!;
  const features = viewSpec('features')!;
  assert.equal(text.label, 'Text');
  assert.equal(features.label, 'Features');
  assert.deepEqual(explanationLayouts(text), ['tokens']);
  assert.deepEqual(explanationLayouts(features), ['features']);
  assert.equal(explanationLayouts(viewSpec('browse')), null);
  assert.equal(explanationLayouts(undefined), null);
  // Present: each series' kind and kind:layout.
  const imagesOnly = new Set(['explanation', 'explanation:image', 'inputs', 'inputs:image']);
  assert.equal(hasData(text, imagesOnly), false);
  assert.equal(hasData(text, new Set(['explanation', 'explanation:tokens'])), true);
  // A tokens inputs series alone has no token attributions to show.
  assert.equal(hasData(text, new Set(['inputs', 'inputs:tokens'])), false);
  assert.equal(hasData(viewSpec('browse')!, imagesOnly), true);
  assert.equal(needsText(text), 'tokens explanation');
});
