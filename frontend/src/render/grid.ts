/** Browse: for each run and series, the probe images at one step with their heatmaps. */
import {h} from '../dom';
import {entryAtOrBefore, predictedBySample} from '../model';
import {heatCanvas} from './cell';
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
    const blocks = await Promise.all(
      series.map(async (s, k) => {
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
        const srcs = await Promise.all(idx.map((i) => heatSource(ctx, s, entry, i)));
        const cells = h('div', {className: 'cells'});
        srcs.forEach((src, j) => {
          const {lines, correct} = captionLines(src.item, predicted);
          const title = `${s.run} · ${s.tag} · step ${entry.step}`;
          const canvas = heatCanvas(src, look, ctx.hover, `${title} · ${lines.join(' · ')}`, () =>
            ctx.openLarge({title, lines, src, look}),
          );
          cells.appendChild(h('figure', {className: 'cell', dataset: {item: String(idx[j])}}, canvas, caption(lines, correct)));
        });
        if (idx.length === 0) cells.appendChild(empty('No samples match the filters at this step.'));
        block.appendChild(cells);
        return block;
      }),
    );
    for (const b of blocks) root.appendChild(b);
    return root;
  },
};
