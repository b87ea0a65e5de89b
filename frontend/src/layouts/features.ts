/**
 * The `features` layout: each row a sample's features as bars sorted by
 * |attribution| (coloured by value), each named with the sample's input
 * value (`age = 0.42`).
 */
import type {ManifestItem, StepEntry} from '../api';
import {barFraction, sortedFeatures, valueIndex} from '../attribution';
import {h} from '../dom';
import type {Series} from '../model';
import {rawMap} from '../npy';
import {displayRange, formatValue} from '../scale';
import type {Look} from '../render/cell';
import {inputRow, inputsOf} from '../render/sources';
import type {Ctx, LayoutView} from '../render/view';
import {loadingPart} from '../render/widgets';

/** The names of the features a series explains: its inputs series' `feature_names`. */
export function featureNames(ctx: Ctx, s: Series): string[] {
  const tag = inputsOf(ctx, s);
  return (tag ? ctx.tags.runs[s.run]?.[tag]?.feature_names : null) ?? [];
}

/** A features map's raw values, the features' names and the sample's raw input values (when logged). */
interface FeatureSource {
  values: Float64Array;
  item: ManifestItem;
  names: string[];
  inputs: Float64Array | null;
  signed: boolean;
}

/** The raw input values of `sample` at `step` (or earlier), restored from the inputs row's own range; null if none. */
async function featureInputs(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<Float64Array | null> {
  const row = await inputRow(ctx, s, step, sample);
  if (!row) return null;
  const g = await ctx.images.gray(row.entry.images[row.index]);
  return Float64Array.from(rawMap(g.data, row.entry.manifest.items[row.index]));
}

/** Decodes the features map of item `i` of `entry` with its names and inputs. Rejects when the map cannot be loaded. */
async function featureSource(ctx: Ctx, s: Series, entry: StepEntry, i: number): Promise<FeatureSource> {
  const item = entry.manifest.items[i];
  const inputsP = featureInputs(ctx, s, entry.step, item.sample).catch(() => null);
  const [heat, inputs] = await Promise.all([ctx.images.gray(entry.images[i]), inputsP]);
  return {values: Float64Array.from(rawMap(heat.data, item)), item, names: featureNames(ctx, s), inputs, signed: s.info.signed};
}

/** One sample's features as bars sorted by |attribution| (coloured by value), each with its input value. */
function featureBars(ctx: Ctx, src: FeatureSource, look: Look): HTMLElement {
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const list = h('div', {className: 'bars', attrs: {role: 'list'}});
  for (const b of sortedFeatures(src.values, src.names, src.inputs)) {
    const k = valueIndex(b.value, display, src.signed);
    const color = `rgb(${look.table[k * 3]},${look.table[k * 3 + 1]},${look.table[k * 3 + 2]})`;
    const name = b.input === null ? b.name : `${b.name} = ${formatValue(b.input)}`;
    const row = h(
      'div',
      {className: 'bar-row', attrs: {role: 'listitem', 'aria-label': `${name}: ${formatValue(b.value)}`}, dataset: {feature: String(b.index), value: String(b.value)}},
      h('span', {className: 'bar-name', attrs: {title: name}}, name),
      h('span', {className: 'bar-track'}, h('span', {className: 'bar', style: {width: `${(barFraction(b.value, display) * 100).toFixed(1)}%`, background: color}})),
      h('span', {className: 'bar-value'}, formatValue(b.value)),
    );
    row.addEventListener('mousemove', (ev) => ctx.hover.show(`${name}: attribution ${formatValue(b.value)}`, ev));
    row.addEventListener('mouseleave', () => ctx.hover.hide());
    list.appendChild(row);
  }
  return list;
}

export const featuresLayout: LayoutView = {
  part: (ctx, row, look) =>
    loadingPart('bars', row.i, row.caption ?? row.lines, row.correct, () => featureSource(ctx, row.s, row.entry, row.i).then((src) => featureBars(ctx, src, look))),
};
