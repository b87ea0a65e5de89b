/** Over epochs: one probe sample across every logged step, one strip per run (stacked). */
import {h} from '../dom';
import {predictedBySample, sampleOptions, snapStep} from '../model';
import {heatCanvas} from './cell';
import {caption, captionLines, Ctx, legend, effectiveSample, empty, heatSource, lookFor, runChip, sampleSelect, ViewImpl} from './context';
import {explainData, explainSteps, visibleItems} from './explain';

export const filmstripView: ViewImpl = {
  steps: explainSteps,
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const {series, entries} = await explainData(ctx);
    const root = h('div', {className: 'filmstrip-view'});
    if (series.length === 0) {
      root.appendChild(empty('No explanations in the selected runs.'));
      return root;
    }
    const samples = sampleOptions(entries.flat().map((e) => e.manifest.items));
    const sample = effectiveSample(ctx, samples);
    root.appendChild(h('div', {className: 'view-controls'}, sampleSelect(ctx, samples)));
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, entries.flat(), (it) => it.sample === sample);
    root.appendChild(legend(look, signed));
    const rows = await Promise.all(
      series.map(async (s, k) => {
        const own = snapStep(
          entries[k].map((e) => e.step),
          step,
        );
        const frames = await Promise.all(
          entries[k].map(async (entry) => {
            const i = visibleItems(ctx, entry).find((j) => entry.manifest.items[j].sample === sample);
            if (i === undefined) return null;
            return {entry, i, src: await heatSource(ctx, s, entry, i)};
          }),
        );
        const strip = h('div', {className: 'filmstrip', attrs: {role: 'list'}});
        for (const f of frames) {
          if (!f) continue;
          const {lines, correct} = captionLines(f.src.item, predictedBySample(f.entry.manifest.items));
          const title = `${s.run} · ${s.tag} · step ${f.entry.step}`;
          const canvas = heatCanvas(f.src, look, ctx.hover, `${title} · ${lines.join(' · ')}`, () =>
            ctx.openLarge({title, lines, src: f.src, look}),
          );
          const current = f.entry.step === own;
          strip.appendChild(
            h(
              'figure',
              {className: current ? 'cell frame current' : 'cell frame', attrs: {role: 'listitem', 'aria-current': current ? 'step' : undefined}, dataset: {step: String(f.entry.step)}},
              canvas,
              caption([`step ${f.entry.step}`, ...lines.slice(1, 3)], correct),
            ),
          );
        }
        if (!strip.firstChild) strip.appendChild(empty(`Sample ${sample} is not in this series (or filtered out).`));
        return h(
          'section',
          {className: 'series', dataset: {run: s.run, tag: s.tag}},
          h('div', {className: 'series-head'}, runChip(ctx, s.run), h('span', {className: 'tag'}, s.info.display_name || s.tag), h('span', {className: 'step-label'}, `${entries[k].length} steps`)),
          strip,
        );
      }),
    );
    for (const r of rows) root.appendChild(r);
    return root;
  },
};
