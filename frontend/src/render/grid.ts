/** Browse: for each run and series, the probe images at one step with their heatmaps. */
import {h} from '../dom';
import {entryAtOrBefore, predictedBySample} from '../model';
import {bindHeat, emptyHeatCanvas} from './cell';
import {caption, captionLines, Ctx, legend, empty, heatSource, lookFor, runChip, ViewImpl} from './context';
import {explainData, explainSteps, visibleItems} from './explain';

export const gridView: ViewImpl = {
  steps: explainSteps,
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const {series, entries} = await explainData(ctx);
    const root = h('div', {className: 'grid-view'});
    if (series.length === 0) {
      root.appendChild(empty('No explanations in the selected runs. Log some with tbexplain.ExplainCallback.'));
      return root;
    }
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, entries.flat(), undefined);
    root.appendChild(legend(look, signed));
    // Cells are laid out at once; the first screenful is awaited before the view is
    // shown, the rest paint as their blobs arrive (first paint does not wait for them).
    const loads: (() => Promise<void>)[] = [];
    const blocks = series.map((s, k) => {
      const entry = entryAtOrBefore(entries[k], step);
      const head = h(
        'div',
        {className: 'series-head'},
        runChip(ctx, s.run),
        h('span', {className: 'tag'}, s.info.display_name || s.tag),
        h('span', {className: 'step-label'}, entry ? `step ${entry.step}` : 'no steps'),
      );
      const block = h('section', {className: 'series', dataset: {run: s.run, tag: s.tag}}, head);
      if (!entry) return block;
      const idx = visibleItems(ctx, entry);
      const predicted = predictedBySample(entry.manifest.items);
      const cells = h('div', {className: 'cells'});
      for (const i of idx) {
        const item = entry.manifest.items[i];
        const {lines, correct} = captionLines(item, predicted);
        const title = `${s.run} · ${s.tag} · step ${entry.step}`;
        const canvas = emptyHeatCanvas(`${title} · ${lines.join(' · ')}`, true, entry.manifest.shape);
        loads.push(() =>
          heatSource(ctx, s, entry, i).then(
            (src) => bindHeat(canvas, src, look, ctx.hover, () => ctx.openLarge({title, lines, src, look})),
            (err: Error) => {
              // One unreadable blob must not hide the rest of the grid.
              canvas.classList.add('broken');
              canvas.setAttribute('aria-label', `${title}: could not load (${err.message})`);
              canvas.title = `could not load: ${err.message}`;
            },
          ),
        );
        cells.appendChild(h('figure', {className: 'cell', dataset: {item: String(i)}}, canvas, caption(lines, correct)));
      }
      if (idx.length === 0) cells.appendChild(empty('No samples match the filters at this step.'));
      block.appendChild(cells);
      return block;
    });
    // Off-screen cells start fetching only after the first screenful, so that
    // their requests do not queue ahead of the visible ones.
    const eager = Math.max(1, ctx.eager);
    await Promise.all(loads.slice(0, eager).map((load) => load()));
    ctx.pending.push(...loads.slice(eager).map((load) => load()));
    for (const b of blocks) root.appendChild(b);
    return root;
  },
};
