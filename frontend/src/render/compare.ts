/** Compare runs: the same method/layer/class at the same step, runs side by side. */
import {h} from '../dom';
import {entryAtOrBefore, predictedBySample, rowKeys, Series} from '../model';
import {heatCanvas} from './cell';
import {caption, captionLines, Ctx, legend, empty, heatSource, lookFor, runChip, ViewImpl} from './context';
import {explainData, explainSteps, visibleItems} from './explain';

export const compareView: ViewImpl = {
  steps: explainSteps,
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const {series, entries} = await explainData(ctx);
    const root = h('div', {className: 'compare-view'});
    if (ctx.runs.length < 2) {
      root.appendChild(empty('Select two or more runs to compare them side by side.'));
    }
    if (series.length === 0) {
      root.appendChild(empty('No explanations in the selected runs.'));
      return root;
    }
    const byTag = new Map<string, number[]>();
    series.forEach((s, k) => byTag.set(s.tag, [...(byTag.get(s.tag) ?? []), k]));
    for (const [tag, ks] of byTag) {
      const cols: Series[] = ks.map((k) => series[k]);
      const signed = cols.some((s) => s.info.signed);
      const look = lookFor(ctx, signed, ks.flatMap((k) => entries[k]));
      const at = ks.map((k) => entryAtOrBefore(entries[k], step));
      const keyed = at.map((e) => (e ? rowKeys(e.manifest.items, visibleItems(ctx, e)) : new Map<string, number>()));
      const rows = [...new Set(keyed.flatMap((m) => [...m.keys()]))].sort((a, b) => {
        const [sa, ra] = a.split(':').map(Number);
        const [sb, rb] = b.split(':').map(Number);
        return sa - sb || ra - rb;
      });
      const grid = h('div', {className: 'compare', style: {'grid-template-columns': `repeat(${cols.length}, var(--cell))`}, dataset: {tag}});
      cols.forEach((s, c) => {
        grid.appendChild(h('div', {className: 'col-head', dataset: {run: s.run}}, runChip(ctx, s.run), h('div', {className: 'step-label'}, at[c] ? `step ${at[c]!.step}` : 'no steps')));
      });
      const cells = await Promise.all(
        rows.flatMap((rk) =>
          cols.map(async (s, c) => {
            const e = at[c];
            const i = keyed[c].get(rk);
            if (!e || i === undefined) return h('div', {className: 'empty'}, '—');
            const src = await heatSource(ctx, s, e, i);
            const {lines, correct} = captionLines(src.item, predictedBySample(e.manifest.items));
            const title = `${s.run} · ${s.tag} · step ${e.step}`;
            const canvas = heatCanvas(src, look, ctx.hover, `${title} · ${lines.join(' · ')}`, () => ctx.openLarge({title, lines, src, look}));
            return h('figure', {className: 'cell', dataset: {run: s.run}}, canvas, caption(lines, correct));
          }),
        ),
      );
      for (const c of cells) grid.appendChild(c);
      root.appendChild(h('section', {className: 'series'}, h('div', {className: 'series-head'}, h('span', {className: 'tag'}, tag), legend(look, signed)), grid));
    }
    return root;
  },
};
