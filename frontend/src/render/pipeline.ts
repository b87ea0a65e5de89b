/** Pipeline: the probe samples at each logged stage of the input pipeline, side by side. */
import {h} from '../dom';
import {entryAtOrBefore, Series, seriesOfKind} from '../model';
import {loadSeries} from './sources';
import type {Ctx, ViewImpl} from './view';
import {bitmapCanvas, caption, empty, markBroken, note, placeholderCells, runChip, skippedStepsNote} from './widgets';

/**
 * Pipeline stages: inputs series that no explanation or activations series
 * overlays (those are the probe inputs); if every inputs series is overlaid,
 * all of them. The target regions of segmentation maps (`mask_tag`) are
 * never stages. In the order they were written (`inWrittenOrder`).
 */
export function stageSeries(ctx: Ctx): Series[] {
  const key = (run: string, tag: string) => JSON.stringify([run, tag]);
  const overlaid = new Set<string>();
  const regions = new Set<string>();
  for (const run of ctx.runs) {
    for (const info of Object.values(ctx.tags.runs[run] ?? {})) {
      if (info.kind !== 'inputs' && info.inputs_tag) overlaid.add(key(run, info.inputs_tag));
      if (info.mask_tag) regions.add(key(run, info.mask_tag));
    }
  }
  const inputs = seriesOfKind(ctx.tags, ctx.runs, 'inputs').filter((s) => !regions.has(key(s.run, s.tag)));
  const stages = inputs.filter((s) => !overlaid.has(key(s.run, s.tag)));
  return inWrittenOrder(stages.length > 0 ? stages : inputs, ctx.runs);
}

/**
 * Stages in the order they were logged (the pipeline's order: a logger writes
 * them one after the other), runs in `runs` order: by run, then the wall time
 * of each stage's latest step, then tag.
 */
export function inWrittenOrder(series: readonly Series[], runs: readonly string[]): Series[] {
  const rank = new Map(runs.map((r, i) => [r, i]));
  return [...series].sort(
    (a, b) =>
      (rank.get(a.run) ?? 0) - (rank.get(b.run) ?? 0) ||
      a.info.max_wall_time - b.info.max_wall_time ||
      (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0),
  );
}

/** One run's stages side by side at `step`, a row per sample. */
async function fill(ctx: Ctx, run: string, stages: Series[], section: HTMLElement, ph: HTMLElement, step: number | null): Promise<void> {
  let data;
  try {
    data = await loadSeries(ctx, stages);
  } catch (e) {
    ph.replaceWith(note(`could not load this run's stages: ${(e as Error).message}`, {failed: 'true'}));
    return;
  }
  const at = data.map((d) => entryAtOrBefore(d.steps, step));
  const samples = [...new Set(at.flatMap((e) => (e ? e.manifest.items.map((it, i) => it.sample ?? i) : [])))].sort((a, b) => a - b);
  const grid = h('div', {className: 'compare', style: {'grid-template-columns': `repeat(${stages.length}, var(--cell))`}});
  stages.forEach((s, c) => {
    grid.appendChild(h('div', {className: 'col-head'}, s.info.stage || s.tag, h('div', {className: 'step-label muted'}, at[c] ? `step ${at[c]!.step}` : 'no steps')));
  });
  const paints: Promise<void>[] = [];
  for (const sample of samples) {
    stages.forEach((s, c) => {
      const e = at[c];
      const i = e ? e.manifest.items.findIndex((it, j) => (it.sample ?? j) === sample) : -1;
      if (!e || i < 0) {
        grid.appendChild(h('div', {className: 'empty'}, '—'));
        return;
      }
      const it = e.manifest.items[i];
      const lines = [`sample ${sample}`];
      if (it.label_name !== undefined || it.label !== undefined) lines.push(`label ${it.label_name ?? it.label}`);
      const title = `${run} · ${s.info.stage || s.tag} · step ${e.step}`;
      const slot = h('canvas', {className: 'heat plain', attrs: {role: 'img', 'aria-label': `${title} · sample ${sample}`}});
      const file = `${run}_${s.tag}_step${e.step}_sample${sample}`;
      paints.push(
        ctx.images.bitmap(e.images[i]).then(
          (bmp) => slot.replaceWith(bitmapCanvas(bmp, `${title} · sample ${sample}`, () => ctx.openLarge({title, lines, bitmap: bmp, file}))),
          (err) => markBroken(slot, title, err),
        ),
      );
      grid.appendChild(h('figure', {className: 'cell'}, slot, caption(lines, null)));
    });
  }
  const notes = data.map((d, c) => {
    const n = skippedStepsNote(d.skipped);
    if (n) n.prepend(`${stages[c].info.stage || stages[c].tag}: `);
    return n;
  });
  ph.replaceWith(...notes.filter((n): n is HTMLElement => n !== null), grid);
  section.dataset.loaded = 'true';
  await Promise.all(paints);
}

export const pipelineView: ViewImpl = {
  series: stageSeries,
  async render(ctx, step) {
    const series = stageSeries(ctx);
    const root = h('div', {className: 'pipeline-view'});
    if (series.length === 0) {
      root.appendChild(empty('No input pipeline stages logged in the selected runs.'));
      return root;
    }
    for (const run of ctx.runs) {
      const stages = series.filter((s) => s.run === run);
      if (stages.length === 0) continue;
      const ph = placeholderCells(ctx, 1);
      const section = h('section', {className: 'series', dataset: {run, loaded: 'false'}}, h('div', {className: 'series-head'}, runChip(ctx, run)), ph);
      ctx.lazy.add(section, () => fill(ctx, run, stages, section, ph, step));
      root.appendChild(section);
    }
    return root;
  },
};
