/** Pipeline: the probe samples at each logged stage of the input pipeline, side by side. */
import {h} from '../dom';
import {entryAtOrBefore, Series, seriesOfKind, unionSteps} from '../model';
import {bitmapCanvas, caption, Ctx, empty, loadSeries, runChip, ViewImpl} from './context';

/**
 * Pipeline stages: inputs series that no explanation or activations series
 * overlays (those are the probe inputs); if every inputs series is overlaid,
 * all of them.
 */
export function stageSeries(ctx: Ctx): Series[] {
  const inputs = seriesOfKind(ctx.tags, ctx.runs, 'inputs');
  const overlaid = new Set<string>();
  for (const run of ctx.runs) {
    for (const info of Object.values(ctx.tags.runs[run] ?? {})) {
      if (info.kind !== 'inputs' && info.inputs_tag) overlaid.add(JSON.stringify([run, info.inputs_tag]));
    }
  }
  const stages = inputs.filter((s) => !overlaid.has(JSON.stringify([s.run, s.tag])));
  return stages.length > 0 ? stages : inputs;
}

export const pipelineView: ViewImpl = {
  async steps(ctx) {
    const entries = await loadSeries(ctx, stageSeries(ctx));
    return unionSteps(entries.map((es) => es.map((e) => e.step)));
  },
  async render(ctx, step) {
    const series = stageSeries(ctx);
    const root = h('div', {className: 'pipeline-view'});
    if (series.length === 0) {
      root.appendChild(empty('No input pipeline stages logged in the selected runs.'));
      return root;
    }
    const entries = await loadSeries(ctx, series);
    for (const run of ctx.runs) {
      const ks = series.map((s, k) => (s.run === run ? k : -1)).filter((k) => k >= 0);
      if (ks.length === 0) continue;
      const at = ks.map((k) => entryAtOrBefore(entries[k], step));
      const samples = [...new Set(at.flatMap((e) => (e ? e.manifest.items.map((it, i) => it.sample ?? i) : [])))].sort((a, b) => a - b);
      const grid = h('div', {className: 'compare', style: {'grid-template-columns': `repeat(${ks.length}, var(--cell))`}});
      ks.forEach((k, c) => {
        grid.appendChild(h('div', {className: 'col-head'}, (series[k].info.stage || series[k].tag), h('div', {className: 'step-label muted'}, at[c] ? `step ${at[c]!.step}` : 'no steps')));
      });
      const cells = await Promise.all(
        samples.flatMap((sample) =>
          ks.map(async (k, c) => {
            const e = at[c];
            const i = e ? e.manifest.items.findIndex((it, j) => (it.sample ?? j) === sample) : -1;
            if (!e || i < 0) return h('div', {className: 'empty'}, '—');
            const bmp = await ctx.images.bitmap(e.images[i]);
            const it = e.manifest.items[i];
            const lines = [`sample ${sample}`];
            if (it.label_name !== undefined || it.label !== undefined) lines.push(`label ${it.label_name ?? it.label}`);
            const title = `${run} · ${(series[k].info.stage || series[k].tag)} · step ${e.step}`;
            return h('figure', {className: 'cell'}, bitmapCanvas(bmp, `${title} · sample ${sample}`, () => ctx.openLarge({title, lines, bitmap: bmp})), caption(lines, null));
          }),
        ),
      );
      for (const c of cells) grid.appendChild(c);
      root.appendChild(h('section', {className: 'series', dataset: {run}}, h('div', {className: 'series-head'}, runChip(ctx, run)), grid));
    }
    return root;
  },
};
