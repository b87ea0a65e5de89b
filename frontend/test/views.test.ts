import assert from 'node:assert/strict';
import {test} from 'node:test';
import {DEFAULT_VIEW, hasData, viewSpec, VIEWS} from '../src/views';

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
