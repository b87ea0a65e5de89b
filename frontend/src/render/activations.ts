/** Activations and filters: a channel (or filter) grid per layer, per run, at one step. */
import {lut, resolveColormap} from '../colormap';
import {h} from '../dom';
import {distinct, entryAtOrBefore, pick, sampleOptions, Series, seriesOfKind, unionSteps} from '../model';
import {formatValue} from '../scale';
import type {UiState} from '../state';
import {heatCanvas, Look} from './cell';
import {bitmapCanvas, caption, Ctx, effectiveSample, empty, heatSource, loadSeries, runChip, sampleSelect, tagSelect, ViewImpl} from './context';

type Kind = 'activations' | 'filters';

function chosen(ctx: Ctx, kind: Kind): {tags: {tag: string; text: string}[]; tag: string; series: Series[]} {
  const all = seriesOfKind(ctx.tags, ctx.runs, kind);
  const names = distinct(all.map((s) => s.tag));
  const want = kind === 'activations' ? ctx.state.actTag : ctx.state.filterTag;
  const tag = pick(names, want);
  const layerOf = new Map(all.map((s) => [s.tag, s.info.layer]));
  return {
    tags: names.map((t) => ({tag: t, text: layerOf.get(t) ? `${layerOf.get(t)} (${t})` : t})),
    tag,
    series: all.filter((s) => s.tag === tag),
  };
}

function makeView(kind: Kind): ViewImpl {
  const stateKey: keyof UiState = kind === 'activations' ? 'actTag' : 'filterTag';
  return {
    async steps(ctx) {
      const {series} = chosen(ctx, kind);
      const entries = await loadSeries(ctx, series);
      return unionSteps(entries.map((es) => es.map((e) => e.step)));
    },
    async render(ctx, step) {
      const {tags, tag, series} = chosen(ctx, kind);
      const root = h('div', {className: `${kind}-view`});
      if (series.length === 0) {
        root.appendChild(empty(kind === 'activations' ? 'No activations logged in the selected runs (tbexplain.Activations).' : 'No filter visualisations logged in the selected runs (tbexplain.FilterVisualization).'));
        return root;
      }
      const entries = await loadSeries(ctx, series);
      const controls = h('div', {className: 'view-controls'}, tagSelect('Layer', tags, tag, (t) => ctx.set({[stateKey]: t} as Partial<UiState>), `${kind}-tag`));
      root.appendChild(controls);
      let sample = 0;
      if (kind === 'activations') {
        const samples = sampleOptions(entries.flat().map((e) => e.manifest.items));
        sample = effectiveSample(ctx, samples);
        controls.appendChild(sampleSelect(ctx, samples));
      }
      const blocks = await Promise.all(
        series.map(async (s, k) => {
          const entry = entryAtOrBefore(entries[k], step);
          const block = h(
            'section',
            {className: 'series', dataset: {run: s.run, tag: s.tag}},
            h('div', {className: 'series-head'}, runChip(ctx, s.run), h('span', {className: 'tag'}, s.info.layer || s.tag), h('span', {className: 'step-label'}, entry ? `step ${entry.step}` : 'no steps')),
          );
          if (!entry) return block;
          const cells = h('div', {className: 'cells'});
          const items = entry.manifest.items;
          if (kind === 'activations') {
            const idx = items.map((_, i) => i).filter((i) => items[i].sample === sample);
            const look: Look = {
              table: lut(resolveColormap(ctx.state.colormap === 'bwr' ? 'viridis' : ctx.state.colormap, false)),
              opacity: 1,
              scale: ctx.state.scale,
              shared: ctx.state.scale === 'shared' ? sharedOver(entries[k], sample) : null,
            };
            const srcs = await Promise.all(idx.map((i) => heatSource(ctx, {...s, info: {...s.info, inputs_tag: ''}}, entry, i)));
            srcs.forEach((src) => {
              const lines = [`channel ${src.item.channel ?? '?'}`, `mean ${formatValue(Number(src.item.mean ?? NaN))}`, `range [${formatValue(Number(src.item.min))}, ${formatValue(Number(src.item.max))}]`];
              const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step} · sample ${sample}`;
              cells.appendChild(h('figure', {className: 'cell'}, heatCanvas(src, look, ctx.hover, `${title} · ${lines[0]}`, () => ctx.openLarge({title, lines, src, look})), caption(lines, null)));
            });
          } else {
            const bitmaps = await Promise.all(entry.images.map((ref) => ctx.images.bitmap(ref)));
            bitmaps.forEach((bmp, i) => {
              const it = items[i];
              const lines = [`filter ${it.filter ?? i}`];
              if (it.objective !== undefined) lines.push(`objective ${formatValue(Number(it.objective))}`);
              const title = `${s.run} · ${s.info.layer || s.tag} · step ${entry.step}`;
              cells.appendChild(h('figure', {className: 'cell'}, bitmapCanvas(bmp, `${title} · ${lines[0]}`, () => ctx.openLarge({title, lines, bitmap: bmp})), caption(lines, null)));
            });
          }
          if (!cells.firstChild) cells.appendChild(empty('Nothing logged for this sample at this step.'));
          block.appendChild(cells);
          return block;
        }),
      );
      for (const b of blocks) root.appendChild(b);
      return root;
    },
  };
}

function sharedOver(entries: readonly {manifest: {items: {sample?: number; min: number; max: number}[]}}[], sample: number): Look['shared'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of entries) {
    for (const it of e.manifest.items) {
      if (it.sample !== sample) continue;
      if (Number.isFinite(Number(it.min))) lo = Math.min(lo, Number(it.min));
      if (Number.isFinite(Number(it.max))) hi = Math.max(hi, Number(it.max));
    }
  }
  return lo <= hi ? {min: lo, max: hi} : null;
}

export const activationsView = makeView('activations');
export const filtersView = makeView('filters');
