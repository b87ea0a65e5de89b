/**
 * Over epochs: one probe sample across every logged step, one strip per run
 * (stacked), each frame drawn by its layout (`layouts/`) as Browse draws it,
 * with the run's logged metrics charted above its strip.
 */
import type {StepEntry} from '../api';
import {h} from '../dom';
import {blockControls, rowPart} from '../layouts';
import {predictedBySample, runColor, Series, snapStep} from '../model';
import type {Look} from './cell';
import {metricsCharts} from './chart';
import {explainSeries, visibleItems} from './explain';
import {knownSamples} from './samples';
import {loadBlock, loadSeries, rangeOver} from './sources';
import type {Ctx, Part, ViewImpl} from './view';
import {blockFailed, captionLines, effectiveSample, empty, legend, lookFor, sampleSelect, seriesSection, skippedStepsNote} from './widgets';

/** Keeps the current frame of a strip in view (centred). */
export function centreCurrent(strip: HTMLElement): void {
  const cur = strip.querySelector<HTMLElement>('.current');
  if (cur) strip.scrollLeft = cur.offsetLeft - (strip.clientWidth - cur.clientWidth) / 2;
}

async function fill(ctx: Ctx, s: Series, block: HTMLElement, ph: HTMLElement, stepLabel: HTMLElement, step: number | null, sample: number, look: Look): Promise<void> {
  let data;
  let metrics;
  try {
    // The metrics are fetched only for strips on screen; a plugin without the route has none.
    [data, metrics] = await Promise.all([loadBlock(ctx, s), ctx.api.metrics(s.run, s.tag).catch(() => null)]);
  } catch (e) {
    blockFailed(block, ph, e);
    return;
  }
  const entries = data.steps;
  stepLabel.textContent = `${entries.length} steps`;
  const own = snapStep(
    entries.map((e) => e.step),
    step,
  );
  const strip = h('div', {className: 'filmstrip', attrs: {role: 'list'}});
  const shown: StepEntry[] = [];
  const parts: Part[] = [];
  for (const entry of entries) {
    const i = visibleItems(ctx, entry).find((j) => entry.manifest.items[j].sample === sample);
    if (i === undefined) continue;
    const {lines, correct} = captionLines(entry.manifest.items[i], predictedBySample(entry.manifest.items), entry.manifest.target_name);
    const part = rowPart(ctx, {s, entry, i, lines, caption: [`step ${entry.step}`, ...lines.slice(1, 3)], correct}, look);
    part.el.classList.add('frame');
    part.el.setAttribute('role', 'listitem');
    part.el.dataset.step = String(entry.step);
    if (entry.step === own) {
      part.el.classList.add('current');
      part.el.setAttribute('aria-current', 'step');
    }
    // Frames load as they scroll into the strip's view.
    ctx.lazy.add(part.el, part.load, strip);
    strip.appendChild(part.el);
    shown.push(entry);
    parts.push(part);
  }
  if (!strip.firstChild) strip.appendChild(empty(`Sample ${sample} is not in this series (or filtered out).`));
  const children: HTMLElement[] = [];
  const skipped = skippedStepsNote(data.skipped);
  if (skipped) children.push(skipped);
  const charts = metrics ? metricsCharts(metrics, own, ctx.hover, runColor(s.run, ctx.allRuns)) : null;
  if (charts) children.push(charts);
  children.push(...blockControls(shown, parts), strip);
  ph.replaceWith(...children);
  block.dataset.loaded = 'true';
  centreCurrent(strip);
}

export const filmstripView: ViewImpl = {
  series: explainSeries,
  async render(ctx: Ctx, step: number | null): Promise<HTMLElement> {
    const series = explainSeries(ctx);
    const root = h('div', {className: 'filmstrip-view'});
    if (series.length === 0) {
      root.appendChild(empty('No explanations in the selected runs.'));
      return root;
    }
    const all = ctx.state.scale === 'shared' ? await loadSeries(ctx, series) : null;
    const samples = knownSamples(ctx, series);
    const sample = effectiveSample(ctx, samples);
    root.appendChild(h('div', {className: 'view-controls'}, sampleSelect(ctx, samples)));
    const signed = series.some((s) => s.info.signed);
    const look = lookFor(ctx, signed, all ? rangeOver(all, (it) => it.sample === sample) : null);
    root.appendChild(legend(look, signed));
    for (const s of series) {
      const ph = h('div', {className: 'strip-placeholder', attrs: {'aria-hidden': 'true'}});
      const {block, stepLabel} = seriesSection(ctx, s, s.info.display_name || s.tag, ph);
      ctx.lazy.add(block, () => fill(ctx, s, block, ph, stepLabel, step, sample, look));
      root.appendChild(block);
    }
    return root;
  },
};
