import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {TagInfo, TagsResponse} from '../src/api';
import type {Ctx} from '../src/render/view';
import {stageSeries} from '../src/render/pipeline';

function info(kind: string, extra: Partial<TagInfo> = {}): TagInfo {
  return {kind, method: '', layer: '', signed: false, encoding: 'png8', inputs_tag: '', stage: '', samples: 4, max_step: 1, max_wall_time: 0, display_name: '', description: '', ...extra};
}

test("a segmentation target's region is not a pipeline stage", () => {
  const tags: TagsResponse = {
    runs: {
      seg: {
        'e/inputs': info('inputs', {stage: 'e/inputs'}),
        'e/gradcam': info('explanation', {inputs_tag: 'e/inputs', mask_tag: 'e/target_region'}),
        'e/target_region': info('inputs', {stage: 'target region'}),
        'e/pipeline/decoded': info('inputs', {stage: 'decoded'}),
      },
    },
    skipped: [],
  };
  const ctx = {tags, runs: ['seg']} as unknown as Ctx;
  assert.deepEqual(
    stageSeries(ctx).map((s) => s.tag),
    ['e/pipeline/decoded'],
  );
  // With only the probe inputs and the region left, the inputs are shown, never the region.
  delete tags.runs.seg['e/pipeline/decoded'];
  assert.deepEqual(
    stageSeries(ctx).map((s) => s.tag),
    ['e/inputs'],
  );
});

test('stages show in the order they were written, run by run', () => {
  const tags: TagsResponse = {
    runs: {
      a: {
        'p/augmented': info('inputs', {stage: 'augmented', max_wall_time: 3}),
        'p/decoded': info('inputs', {stage: 'decoded', max_wall_time: 1}),
        'p/resized': info('inputs', {stage: 'resized', max_wall_time: 2}),
      },
      b: {'p/only': info('inputs', {stage: 'only', max_wall_time: 0.5})},
    },
    skipped: [],
  };
  const ctx = {tags, runs: ['a', 'b']} as unknown as Ctx;
  assert.deepEqual(
    stageSeries(ctx).map((s) => `${s.run}:${s.info.stage}`),
    ['a:decoded', 'a:resized', 'a:augmented', 'b:only'],
  );
});
