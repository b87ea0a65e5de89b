/** Activations and filters: a channel (or filter) grid per layer, per run, at one step. */
import type {SeriesData} from '../api';
import {lut, resolveColormap} from '../colormap';
import {h} from '../dom';
import {distinct, entryAtOrBefore, pick, Series, seriesOfKind} from '../model';
import {formatValue} from '../scale';
import {bindHeat, emptyHeatCanvas, Look} from './cell';
import {knownSamples} from './samples';
import {heatSource, loadBlock, loadSeries, rangeOver} from './sources';
import {Ctx, ownValue, setOwnValue, ViewImpl} from './view';
import {
  bitmapCanvas,
  blockFailed,
  caption,
  effectiveSample,
  empty,
  markBroken,
  placeholderCells,
  sampleSelect,
  seriesSection,
  skippedStepsNote,
  tagSelect,
} from './widgets';

type Kind = 'activations' | 'filters';

/** The key of each view's own setting (the tag shown), in the state and the URL. */
const TAG_KEY: Record<Kind, string> = {activations: 'act', filters: 'flt'};

function chosen(ctx: Ctx, kind: Kind): {tags: {tag: string; text: string}[]; tag: string; series: Series[]} {
  const all = seriesOfKind(ctx.tags, ctx.runs, kind);
  const names = distinct(all.map((s) => s.tag));
  const tag = pick(names, ownValue(ctx, TAG_KEY[kind]));
  const layerOf = new Map(all.map((s) => [s.tag, s.info.layer]));
  return {
    tags: names.map((t) => ({tag: t, text: layerOf.get(t) ? `${layerOf.get(t)} (${t})` : t})),
    tag,
    series: all.filter((s) => s.tag === tag),
  };
}

/** The channel maps of one sample at one step, painted without an input under them. */
function channelCells(ctx: Ctx, s: Series, data: SeriesData, step: number | null, sample: number, look: Look, cells: HTMLElement): Promise<void>[] {
  const entry = entryAtOrBefore(data.steps, step);
  if (!entry) return [];
  const items = entry.manifest.items;
  const bare: Series = {...s, info: {...s.info, inputs_tag: ''}};
  return items.flatMap((it, i) => {
    if (it.sample !== sample) return [];
    const lines = [`channel ${it.channel ?? '?'}`, `mean ${formatValue(Number(it.mean ?? NaN))}`, `range [${formatValue(Number(it.min))}, ${formatValue(Number(it.max))}]`];
    const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step} · sample ${sample}`;
    const canvas = emptyHeatCanvas(`${title} · ${lines[0]}`, true, entry.tile);
    const file = `${s.run}_${s.tag}_step${entry.step}_sample${sample}_channel${it.channel ?? i}`;
    cells.appendChild(h('figure', {className: 'cell'}, canvas, caption(lines, null)));
    return [
      heatSource(ctx, bare, entry, i).then(
        (src) => void bindHeat(canvas, src, look, ctx.hover, () => ctx.openLarge({title: `${title} · ${lines[0]}`, lines, src, look, file})),
        (err) => markBroken(canvas, title, err),
      ),
    ];
  });
}

/** The filter images of one step, drawn as they are. */
function filterCells(ctx: Ctx, s: Series, data: SeriesData, step: number | null, cells: HTMLElement): Promise<void>[] {
  const entry = entryAtOrBefore(data.steps, step);
  if (!entry) return [];
  return entry.manifest.items.map((it, i) => {
    const lines = [`filter ${it.filter ?? i}`];
    if (it.objective !== undefined) lines.push(`objective ${formatValue(Number(it.objective))}`);
    const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step}`;
    const slot = h('canvas', {className: 'heat plain', attrs: {role: 'img', 'aria-label': `${title} · ${lines[0]}`}});
    cells.appendChild(h('figure', {className: 'cell'}, slot, caption(lines, null)));
    const file = `${s.run}_${s.tag}_step${entry.step}_filter${it.filter ?? i}`;
    return ctx.images.bitmap(entry.images[i]).then(
      (bmp) => slot.replaceWith(bitmapCanvas(bmp, `${title} · ${lines[0]}`, () => ctx.openLarge({title, lines, bitmap: bmp, file}))),
      (err) => markBroken(slot, title, err),
    );
  });
}

function makeView(kind: Kind): ViewImpl {
  return {
    series: (ctx) => chosen(ctx, kind).series,
    async render(ctx, step) {
      const {tags, tag, series} = chosen(ctx, kind);
      const root = h('div', {className: `${kind}-view`});
      if (series.length === 0) {
        root.appendChild(empty(kind === 'activations' ? 'No activations logged in the selected runs (tbexplain.Activations).' : 'No filter visualisations logged in the selected runs (tbexplain.FilterVisualization).'));
        return root;
      }
      const controls = h('div', {className: 'view-controls'}, tagSelect('Layer', tags, tag, (t) => setOwnValue(ctx, TAG_KEY[kind], t), `${kind}-tag`));
      root.appendChild(controls);
      let sample = 0;
      let look: Look | null = null;
      if (kind === 'activations') {
        const samples = knownSamples(ctx, series);
        sample = effectiveSample(ctx, samples);
        controls.appendChild(sampleSelect(ctx, samples));
        const all = ctx.state.scale === 'shared' ? await loadSeries(ctx, series) : [];
        look = {
          table: lut(resolveColormap(ctx.state.colormap === 'bwr' ? 'viridis' : ctx.state.colormap, false)),
          opacity: 1,
          scale: ctx.state.scale,
          shared: null,
        };
        // Shared per run (over its steps), for that run's sample.
        const shared = new Map(series.map((s, k) => [s.run, all.length ? rangeOver([all[k]], (it) => it.sample === sample) : null]));
        for (const s of series) {
          const l = {...look, shared: shared.get(s.run) ?? null};
          root.appendChild(block(ctx, s, step, (data, cells) => channelCells(ctx, s, data, step, sample, l, cells)));
        }
        return root;
      }
      for (const s of series) root.appendChild(block(ctx, s, step, (data, cells) => filterCells(ctx, s, data, step, cells)));
      return root;
    },
  };
}

/** A lazily loaded series block whose cells `cells` builds (returning their paints). */
function block(ctx: Ctx, s: Series, step: number | null, cellsOf: (data: SeriesData, cells: HTMLElement) => Promise<void>[]): HTMLElement {
  const ph = placeholderCells(ctx, kindCells(ctx, s));
  const {block: el, stepLabel} = seriesSection(ctx, s, s.info.layer || s.tag, ph);
  ctx.lazy.add(el, async () => {
    let data;
    try {
      data = await loadBlock(ctx, s);
    } catch (e) {
      blockFailed(el, ph, e);
      return;
    }
    const entry = entryAtOrBefore(data.steps, step);
    stepLabel.textContent = entry ? `step ${entry.step}` : 'no steps';
    const cells = h('div', {className: 'cells'});
    const paints = cellsOf(data, cells);
    if (entry && !cells.firstChild) cells.appendChild(empty('Nothing logged for this sample at this step.'));
    const skipped = skippedStepsNote(data.skipped);
    ph.replaceWith(...(skipped ? [skipped, cells] : [cells]));
    el.dataset.loaded = 'true';
    await Promise.all(paints);
  });
  return el;
}

/** About how many cells a block of `s` shows (for its placeholder): filters, or channels per sample. */
function kindCells(ctx: Ctx, s: Series): number | null {
  if (s.info.kind === 'filters') return s.info.samples;
  const probe = s.info.inputs_tag ? ctx.tags.runs[s.run]?.[s.info.inputs_tag]?.samples : null;
  return s.info.samples && probe ? Math.ceil(s.info.samples / probe) : null;
}

export const activationsView = makeView('activations');
export const filtersView = makeView('filters');
