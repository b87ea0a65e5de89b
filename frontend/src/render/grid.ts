/** Browse: for each run and series, the probe images at one step with their heatmaps. */
import {h} from '../dom';
import {entryAtOrBefore, predictedBySample, Series} from '../model';
import {bindHeat, emptyHeatCanvas, Look} from './cell';
import {
  blockFailed,
  caption,
  captionLines,
  Ctx,
  empty,
  heatSource,
  legend,
  loadBlock,
  loadSeries,
  lookFor,
  markBroken,
  placeholderCells,
  rangeOver,
  seriesSection,
  skippedStepsNote,
  ViewImpl,
} from './context';
import {explainSeries, visibleItems} from './explain';

/** Fills one series block: its entry at `step`, one cell per visible map, all painted. */
async function fill(ctx: Ctx, s: Series, block: HTMLElement, ph: HTMLElement, stepLabel: HTMLElement, step: number | null, look: Look): Promise<void> {
  let data;
  try {
    data = await loadBlock(ctx, s);
  } catch (e) {
    blockFailed(block, ph, e);
    return;
  }
  const entry = entryAtOrBefore(data.steps, step);
  stepLabel.textContent = entry ? `step ${entry.step}` : 'no steps';
  const cells = h('div', {className: 'cells'});
  const skipped = skippedStepsNote(data.skipped);
  ph.replaceWith(...(skipped ? [skipped, cells] : [cells]));
  block.dataset.loaded = 'true';
  if (!entry) return;
  const idx = visibleItems(ctx, entry);
  const predicted = predictedBySample(entry.manifest.items);
  const paints: Promise<void>[] = [];
  for (const i of idx) {
    const item = entry.manifest.items[i];
    const {lines, correct} = captionLines(item, predicted, entry.manifest.target_name);
    const title = `${s.run} · ${s.tag} · step ${entry.step}`;
    const canvas = emptyHeatCanvas(`${title} · ${lines.join(' · ')}`, true, entry.manifest.shape);
    const file = `${s.run}_${s.tag}_step${entry.step}_sample${item.sample ?? i}`;
    paints.push(
      heatSource(ctx, s, entry, i).then(
        (src) => bindHeat(canvas, src, look, ctx.hover, () => ctx.openLarge({title, lines, src, look, file})),
        // One unreadable blob must not hide the rest of the grid.
        (err) => markBroken(canvas, title, err),
      ),
    );
    cells.appendChild(h('figure', {className: 'cell', dataset: {item: String(i)}}, canvas, caption(lines, correct)));
  }
  if (idx.length === 0) cells.appendChild(empty('No samples match the filters at this step.'));
  await Promise.all(paints);
}

export const gridView: ViewImpl = {
  series: explainSeries,
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const series = explainSeries(ctx);
    const root = h('div', {className: 'grid-view'});
    if (series.length === 0) {
      root.appendChild(empty('No explanations in the selected runs. Log some with tbexplain.ExplainCallback.'));
      return root;
    }
    const signed = series.some((s) => s.info.signed);
    // A shared scale needs every manifest of the selection (not the blobs).
    const shared = ctx.state.scale === 'shared' ? rangeOver(await loadSeries(ctx, series)) : null;
    const look = lookFor(ctx, signed, shared);
    root.appendChild(legend(look, signed));
    for (const s of series) {
      const ph = placeholderCells(ctx, s.info.samples);
      const {block, stepLabel} = seriesSection(ctx, s, s.info.display_name || s.tag, ph);
      ctx.lazy.add(block, () => fill(ctx, s, block, ph, stepLabel, step, look));
      root.appendChild(block);
    }
    return root;
  },
};
