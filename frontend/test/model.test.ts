import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {ManifestItem, StepEntry, TagInfo, TagsResponse} from '../src/api';
import {captionLines, cellsHeight} from '../src/render/widgets';
import {facetSeries} from '../src/render/explain';
import {
  activeRuns,
  alignRows,
  classOptions,
  entryAtOrBefore,
  explainedName,
  facets,
  filterItems,
  filterRuns,
  groupByRun,
  inputIndex,
  matchingSeries,
  offeredSteps,
  predictedBySample,
  rowKeys,
  runColor,
  sampleOptions,
  selectMatching,
  seriesOfKind,
  snapStep,
  stepNeighbour,
  toggleRun,
  unionSteps,
} from '../src/model';

function info(kind: string, method = '', layer = ''): TagInfo {
  return {kind, method, layer, signed: false, encoding: 'png8', inputs_tag: 'p/inputs', stage: '', samples: 2, max_step: 3, max_wall_time: 0, display_name: '', description: ''};
}

const TAGS: TagsResponse = {
  runs: {
    b: {'p/gradcam/conv2': info('explanation', 'gradcam', 'conv2'), 'p/inputs': info('inputs')},
    a: {
      'p/gradcam/conv1': info('explanation', 'gradcam', 'conv1'),
      'p/gradcam/conv2': info('explanation', 'gradcam', 'conv2'),
      'p/saliency': info('explanation', 'saliency'),
      'p/inputs': info('inputs'),
    },
  },
  skipped: [],
};

test('run filter is a case-insensitive regex, falling back to substring', () => {
  const runs = ['run_a', 'Run_B', 'other', 'x(1'];
  assert.deepEqual(filterRuns(runs, '^run_'), ['run_a', 'Run_B']);
  assert.deepEqual(filterRuns(runs, 'x('), ['x(1']);
  assert.deepEqual(filterRuns(runs, ''), runs);
  assert.deepEqual(activeRuns(runs, ['other', 'run_a'], 'run'), ['run_a']);
  assert.deepEqual(activeRuns(runs, null, 'other'), ['other']);
});

test('run colours are stable by index among all runs', () => {
  const all = ['a', 'b', 'c'];
  assert.equal(runColor('b', all), runColor('b', ['a', 'b', 'c']));
  assert.notEqual(runColor('a', all), runColor('b', all));
  // A sweep of 100 runs gets 100 distinct colours.
  const sweep = Array.from({length: 100}, (_, i) => `run_${String(i).padStart(3, '0')}`);
  assert.equal(new Set(sweep.map((r) => runColor(r, sweep))).size, 100);
});

test('select all matching adds the runs the regex matches; toggling keeps run order', () => {
  const all = ['lr0.1', 'lr0.01', 'wd1', 'wd2'];
  assert.deepEqual(selectMatching(all, ['wd2'], '^lr'), ['lr0.1', 'lr0.01', 'wd2']);
  assert.deepEqual(selectMatching(all, [], 'wd'), ['wd1', 'wd2']);
  assert.equal(selectMatching(all, null, 'wd'), null); // all runs are already selected
  assert.deepEqual(toggleRun(all, null, 'wd1', false), ['lr0.1', 'lr0.01', 'wd2']);
  assert.deepEqual(toggleRun(all, ['wd2'], 'lr0.1', true), ['lr0.1', 'wd2']);
});

test('a view offers loaded steps, and the last step of each series not loaded yet', () => {
  const ex = seriesOfKind(TAGS, ['a', 'b'], 'explanation');
  const loaded = new Map([['a:p/gradcam/conv1', [0, 1, 2]]]);
  const steps = offeredSteps(ex, (s) => loaded.get(`${s.run}:${s.tag}`));
  assert.deepEqual(steps, [0, 1, 2, 3]); // max_step of the others is 3
  assert.deepEqual(offeredSteps([], () => undefined), []);
});

test('series, facets and matching come from metadata, not tag names', () => {
  const ex = seriesOfKind(TAGS, ['a', 'b'], 'explanation');
  assert.deepEqual(ex.map((s) => `${s.run}:${s.tag}`), ['a:p/gradcam/conv1', 'a:p/gradcam/conv2', 'a:p/saliency', 'b:p/gradcam/conv2']);
  const f = facets(ex, 'gradcam', 'conv2');
  assert.deepEqual(f.methods, ['gradcam', 'saliency']);
  assert.deepEqual(f.layers, ['conv1', 'conv2']);
  assert.equal(f.layer, 'conv2');
  assert.deepEqual(matchingSeries(ex, 'gradcam', 'conv2').map((s) => s.run), ['a', 'b']);
  const g = facets(ex, 'nope', 'conv9');
  assert.equal(g.method, 'gradcam');
  assert.equal(g.layer, 'conv1');
  assert.deepEqual(facets(ex, 'saliency', 'conv2').layers, ['']);
});

test('steps snap per run to the latest step at or before the target', () => {
  const steps = [0, 5, 10];
  assert.equal(snapStep(steps, null), 10);
  assert.equal(snapStep(steps, 7), 5);
  assert.equal(snapStep(steps, 10), 10);
  assert.equal(snapStep(steps, -1), 0);
  assert.equal(snapStep([], 3), null);
  assert.deepEqual(unionSteps([[0, 10], [5, 10, 15]]), [0, 5, 10, 15]);
  assert.equal(stepNeighbour(steps, 5, 1), 10);
  assert.equal(stepNeighbour(steps, 5, -1), 0);
  assert.equal(stepNeighbour(steps, null, 1), 10);
  assert.equal(stepNeighbour(steps, 0, -1), 0);
});

test('entryAtOrBefore uses the nearest earlier step (inputs logged less often)', () => {
  const e = (step: number): StepEntry => ({step, wall_time: 0, manifest: {version: 1, kind: 'inputs', shape: [], items: []}, layout: 'image', tile: {width: 0, height: 0, frames: 1}, images: []});
  const entries = [e(0), e(4)];
  assert.equal(entryAtOrBefore(entries, 3)?.step, 0);
  assert.equal(entryAtOrBefore(entries, 9)?.step, 4);
  assert.equal(entryAtOrBefore([], 3), null);
});

const ITEMS: ManifestItem[] = [
  {sample: 0, class_id: 1, class_name: 'sq', score: 3, label: 1, label_name: 'sq', min: 0, max: 1},
  {sample: 0, class_id: 2, class_name: 'tri', score: 1, label: 1, label_name: 'sq', min: 0, max: 1},
  {sample: 1, class_id: 0, class_name: 'circ', score: 2, label: 2, label_name: 'tri', min: 0, max: 1},
  {sample: 2, class_id: 2, class_name: 'tri', label: 2, label_name: 'tri', min: 0, max: 1},
  {sample: 3, class_id: 0, class_name: 'circ', min: 0, max: 1},
];

test('prediction is the top-scoring class of each sample', () => {
  const p = predictedBySample(ITEMS);
  assert.equal(p.get(0), 1);
  assert.equal(p.get(1), 0);
  assert.equal(p.get(2), 2);
});

test('the predicted column, when present, decides the verdict (not the top-scoring map)', () => {
  // Explaining the label (class 1) of a sample the model predicts as class 2.
  const items: ManifestItem[] = [
    {sample: 0, class_id: 1, score: 5, label: 1, predicted: 2, min: 0, max: 1},
    {sample: 1, class_id: 0, score: 1, label: 0, predicted: 0, min: 0, max: 1},
  ];
  const p = predictedBySample(items);
  assert.equal(p.get(0), 2);
  assert.equal(p.get(1), 0);
  const all = {classId: null, label: null, correctness: 'all' as const};
  assert.deepEqual(filterItems(items, {...all, correctness: 'incorrect'}), [0]);
  assert.deepEqual(filterItems(items, {...all, correctness: 'correct'}), [1]);
  // Without the column the same rows would both count as correct (fallback).
  const old = items.map(({predicted: _, ...rest}) => rest);
  assert.deepEqual(filterItems(old, {...all, correctness: 'correct'}), [0, 1]);
});

test('a null prediction (a model without classes) gives no verdict and no fallback', () => {
  const items: ManifestItem[] = [{sample: 0, score: 3.2, label: 1, predicted: null, min: 0, max: 1}];
  assert.equal(predictedBySample(items).size, 0);
  assert.deepEqual(filterItems(items, {classId: null, label: null, correctness: 'correct'}), []);
  assert.deepEqual(filterItems(items, {classId: null, label: null, correctness: 'all'}), [0]);
});

test('a named target is shown where a class name is, with its score', () => {
  const regression: ManifestItem = {sample: 2, score: 41.5, min: 0, max: 1};
  assert.equal(explainedName(regression, 'age (regression)'), 'age (regression)');
  assert.equal(explainedName(regression, undefined), null);
  assert.equal(explainedName({class_id: 3, class_name: 'cat', min: 0, max: 1}, 'ignored'), 'cat');
  assert.equal(explainedName({class_id: 3, min: 0, max: 1}, undefined), '3');
  const {lines, correct} = captionLines(regression, new Map(), 'age (regression)');
  assert.deepEqual(lines, ['sample 2', 'age (regression) (41.5)', 'range [0, 1.00]']);
  assert.equal(correct, null);
});

test('captions give the verdict from the predicted column and name the prediction when wrong', () => {
  const item: ManifestItem = {sample: 0, class_id: 1, class_name: 'sq', score: 2, label: 1, label_name: 'sq', predicted: 2, predicted_name: 'tri', min: 0, max: 1};
  const {lines, correct} = captionLines(item, predictedBySample([item]));
  assert.equal(correct, false);
  assert.equal(lines[2], 'label sq ✗ (predicted tri)');
});

test('items filter by explained class, label and correctness', () => {
  const all = {classId: null, label: null, correctness: 'all' as const};
  assert.deepEqual(filterItems(ITEMS, all), [0, 1, 2, 3, 4]);
  assert.deepEqual(filterItems(ITEMS, {...all, classId: 2}), [1, 3]);
  assert.deepEqual(filterItems(ITEMS, {...all, label: 1}), [0, 1]);
  // sample 0 (both of its maps) and 2 are correct; 1 is wrong; 3 has no label.
  assert.deepEqual(filterItems(ITEMS, {...all, correctness: 'correct'}), [0, 1, 3]);
  assert.deepEqual(filterItems(ITEMS, {...all, correctness: 'incorrect'}), [2]);
});

test('class, label and sample options are collected from manifests', () => {
  assert.deepEqual(classOptions([ITEMS], 'class'), [
    {id: 0, name: 'circ'},
    {id: 1, name: 'sq'},
    {id: 2, name: 'tri'},
  ]);
  assert.deepEqual(classOptions([[{label: 4, min: 0, max: 1}]], 'label'), [{id: 4, name: '4'}]);
  assert.deepEqual(sampleOptions([ITEMS, [{sample: 9, min: 0, max: 0}]]), [0, 1, 2, 3, 9]);
  assert.equal(inputIndex(ITEMS, 2), 3);
  assert.equal(inputIndex(ITEMS, 8), -1);
  assert.equal(inputIndex(ITEMS, undefined), -1);
});

test('compare rows line up by sample and rank, not by the class explained', () => {
  const runA: ManifestItem[] = [
    {sample: 0, class_id: 1, min: 0, max: 1},
    {sample: 1, class_id: 2, min: 0, max: 1},
  ];
  const runB: ManifestItem[] = [
    {sample: 0, class_id: 0, min: 0, max: 1},
    {sample: 0, class_id: 2, min: 0, max: 1},
    {sample: 1, class_id: 1, min: 0, max: 1},
  ];
  assert.deepEqual([...rowKeys(runA, [0, 1])], [['0:0', 0], ['1:0', 1]]);
  assert.deepEqual([...rowKeys(runB, [0, 1, 2])], [['0:0', 0], ['0:1', 1], ['1:0', 2]]);
  assert.deepEqual([...rowKeys(runB, [1, 2])], [['0:0', 1], ['1:0', 2]]);
});

test('a placeholder is as tall as its cells wrapped in the width', () => {
  // 156 px per cell with its gap: 7 fit in 1100 px; 16 cells are 3 rows of 148 + 62 px.
  assert.equal(cellsHeight(16, 1100), 3 * 210 + 2 * 8);
  assert.equal(cellsHeight(7, 1100), 210);
  assert.equal(cellsHeight(3, 0), 3 * 210 + 2 * 8); // no width yet: one per row
});

test("a sample's maps of several series line up: row keys merged, sorted by sample then rank", () => {
  // An image series with samples 0, 1, 2 and a metadata series missing sample 1.
  const image = new Map([
    ['0:0', 0],
    ['1:0', 1],
    ['2:0', 2],
  ]);
  const meta = new Map([
    ['2:0', 1],
    ['0:0', 0],
    ['10:0', 2],
  ]);
  assert.deepEqual(alignRows([image, meta]), ['0:0', '1:0', '2:0', '10:0']);
  assert.deepEqual(alignRows([new Map([['1:1', 0], ['1:0', 1]])]), ['1:0', '1:1']);
  assert.deepEqual(alignRows([]), []);
});

test('series group by run, keeping their order', () => {
  const s = (run: string, tag: string) => ({run, tag, info: info('explanation', 'integrated_gradients')});
  const groups = groupByRun([s('a', 'x/image'), s('a', 'x/meta'), s('b', 'x'), s('c', 'x/image')]);
  assert.deepEqual(
    groups.map((g) => g.map((x) => `${x.run}:${x.tag}`)),
    [['a:x/image', 'a:x/meta'], ['b:x'], ['c:x/image']],
  );
});

test("the facets of a view of some layouts come from that layout's series", () => {
  const tags: TagsResponse = {
    runs: {
      text: {
        'e/ig': {...info('explanation', 'integrated_gradients'), layout: 'tokens'},
        'e/inputs': {...info('inputs'), layout: 'tokens'},
      },
      images: {'e/gradcam': {...info('explanation', 'gradcam', 'conv'), layout: 'image'}, 'e/old': info('explanation', 'saliency')},
    },
    skipped: [],
  };
  const runs = ['images', 'text'];
  assert.deepEqual(
    facetSeries(tags, runs, ['tokens']).map((x) => x.tag),
    ['e/ig'],
  );
  // Older series record no layout (each step's is in /steps): they are in
  // the views of every layout (Browse, Over epochs, Compare), not in those
  // of one layout, which only format 4 writes.
  assert.deepEqual(
    facetSeries(tags, runs, ['image']).map((x) => x.tag),
    ['e/gradcam'],
  );
  assert.deepEqual(
    facetSeries(tags, runs, null).map((x) => x.tag),
    ['e/gradcam', 'e/old', 'e/ig'],
  );
});
