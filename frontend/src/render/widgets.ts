/**
 * The widgets the views are built of: captions, notes, placeholders, series
 * blocks and their heads, selects, canvases of plain images, and the legend
 * of a view's look.
 */
import type {ManifestItem, SkippedStep} from '../api';
import {lut, resolveColormap} from '../colormap';
import {h, select} from '../dom';
import {explainedName, isCorrect, runColor, Series} from '../model';
import {formatValue, RawRange, symmetric} from '../scale';
import {CAPTION_PX, CELL_PX, GAP_PX} from '../style';
import type {Look} from './cell';
import type {Ctx, Part} from './view';

/** The look (colormap, opacity, scale) of a view; `shared` is the range when the scale is shared. */
export function lookFor(ctx: Ctx, signed: boolean, shared: RawRange | null): Look {
  return {
    table: lut(resolveColormap(ctx.state.colormap, signed)),
    opacity: ctx.state.opacity,
    scale: ctx.state.scale,
    shared: ctx.state.scale === 'shared' ? shared : null,
  };
}

/**
 * Caption lines of an explanation item: sample, what is explained (class or
 * named target, with the score), label and verdict, and (unless `withRange`
 * is false) the raw range.
 */
export function captionLines(
  item: ManifestItem,
  predicted: Map<number, number>,
  targetName?: string,
  withRange = true,
): {lines: string[]; correct: boolean | null} {
  const lines: string[] = [];
  if (item.sample !== undefined) lines.push(`sample ${item.sample}`);
  const what = explainedName(item, targetName);
  if (what !== null) {
    lines.push(item.score !== undefined ? `${what} (${formatValue(Number(item.score))})` : what);
  }
  const correct = isCorrect(item, predicted);
  if (item.label !== undefined) {
    const ln = item.label_name ?? String(item.label);
    let verdict = correct === null ? '' : correct ? ' ✓' : ' ✗';
    if (correct === false && typeof item.predicted === 'number') verdict += ` (predicted ${item.predicted_name ?? item.predicted})`;
    lines.push(`label ${ln}${verdict}`);
  }
  if (withRange) lines.push(...rangeLines(item));
  return {lines, correct};
}

/** The caption lines of an item's raw range (and its non-finite values). */
export function rangeLines(item: ManifestItem): string[] {
  const lines = [`range [${formatValue(Number(item.min))}, ${formatValue(Number(item.max))}]`];
  if (item.nonfinite) lines.push(`${item.nonfinite} non-finite`);
  return lines;
}

/**
 * A cell (`kind`-cell) for item `i` whose content `build` makes: a loading
 * slot until then, a note if it fails, `data-painted` once shown.
 */
export function loadingPart(kind: string, i: number, lines: string[], correct: boolean | null, build: () => Promise<HTMLElement>): Part {
  const slot = h('div', {className: `${kind} loading`});
  const el = h('figure', {className: `cell ${kind}-cell`, dataset: {item: String(i)}}, slot, caption(lines, correct));
  const load = () =>
    build().then(
      (content) => {
        content.dataset.painted = 'true';
        slot.replaceWith(content);
      },
      (err: unknown) => {
        slot.replaceWith(note(`could not load: ${err instanceof Error ? err.message : String(err)}`, {broken: 'true'}));
      },
    );
  return {el, load};
}

/** A caption element from lines (all text); the line with the verdict mark is coloured by it. */
export function caption(lines: readonly string[], correct: boolean | null): HTMLElement {
  return h(
    'figcaption',
    {className: correct === null ? '' : correct ? 'correct' : 'incorrect'},
    ...lines.map((l) => h('div', {className: / [✓✗]/.test(l) ? 'verdict' : undefined}, l)),
  );
}

/** The block of one series: a head (run chip, label, step text) and, until it loads, `placeholder`. */
export function seriesSection(ctx: Ctx, s: Series, label: string, placeholder: HTMLElement): {block: HTMLElement; stepLabel: HTMLElement} {
  const stepLabel = h('span', {className: 'step-label'}, '');
  const head = h('div', {className: 'series-head'}, runChip(ctx, s.run), h('span', {className: 'tag'}, label), stepLabel);
  const block = h('section', {className: 'series', dataset: {run: s.run, tag: s.tag, loaded: 'false'}}, head, placeholder);
  return {block, stepLabel};
}

/** The height in px of `count` cells wrapped in rows `width` px wide. */
export function cellsHeight(count: number, width: number): number {
  const perRow = Math.max(1, Math.floor((width + GAP_PX) / (CELL_PX + GAP_PX)));
  const rows = Math.max(1, Math.ceil(count / perRow));
  return rows * (CELL_PX + CAPTION_PX) + (rows - 1) * GAP_PX;
}

/**
 * The stand-in for `count` cells of a block that has not loaded: one box as
 * large as the cells will be (so what is on screen is right before anything
 * is fetched), not an element per cell (a sweep has thousands).
 */
export function placeholderCells(ctx: Ctx, count: number | null): HTMLElement {
  const n = Math.max(1, count ?? 1);
  if (n === 1) return h('div', {className: 'cells placeholder small', attrs: {'aria-hidden': 'true'}});
  return h('div', {className: 'cells placeholder', attrs: {'aria-hidden': 'true'}, style: {height: `${cellsHeight(n, ctx.width)}px`}});
}

/** A visible note about data that could not be read (text only). */
export function note(text: string, dataset: Record<string, string> = {}): HTMLElement {
  return h('div', {className: 'note', attrs: {role: 'note'}, dataset}, text);
}

/** The note of a series' skipped steps; null when none. */
export function skippedStepsNote(skipped: readonly SkippedStep[]): HTMLElement | null {
  if (skipped.length === 0) return null;
  const shown = skipped.slice(0, 3).map((k) => `step ${k.step} (${k.reason})`);
  const more = skipped.length > 3 ? `, and ${skipped.length - 3} more` : '';
  const what = skipped.length === 1 ? '1 step' : `${skipped.length} steps`;
  return note(`${what} could not be read: ${shown.join('; ')}${more}`, {skipped: String(skipped.length)});
}

/** Marks a cell's canvas as not loadable, saying why (in its caption, on hover, to screen readers). */
export function markBroken(canvas: HTMLCanvasElement, title: string, err: unknown): void {
  const why = err instanceof Error ? err.message : String(err);
  canvas.classList.add('broken');
  canvas.dataset.broken = 'true';
  canvas.setAttribute('aria-label', `${title}: could not load (${why})`);
  canvas.title = `could not load: ${why}`;
  canvas.closest('figure')?.querySelector('figcaption')?.appendChild(h('div', {className: 'note'}, 'could not load'));
}

/** A series block's own failure (its steps could not be fetched): a note in place of its cells. */
export function blockFailed(block: HTMLElement, placeholder: HTMLElement, err: unknown): void {
  const why = err instanceof Error ? err.message : String(err);
  placeholder.replaceWith(note(`could not load this series: ${why}`, {failed: 'true'}));
  block.dataset.loaded = 'true';
}

/** A run header chip with the run colour. */
export function runChip(ctx: Ctx, run: string): HTMLElement {
  const color = runColor(run, ctx.allRuns);
  return h('span', {className: 'run-chip'}, h('span', {className: 'swatch', style: {background: color}}), run);
}

/** An empty-state message. */
export function empty(text: string): HTMLElement {
  return h('div', {className: 'empty', attrs: {role: 'status'}}, text);
}

/** A canvas showing a decoded image as-is (inputs, pipeline stages, filters). */
export function bitmapCanvas(bmp: ImageBitmap, label: string, onClick?: () => void): HTMLCanvasElement {
  const canvas = h('canvas', {className: 'heat plain', attrs: {role: 'img', 'aria-label': label, tabindex: onClick ? 0 : undefined}});
  canvas.width = bmp.width;
  canvas.height = bmp.height;
  canvas.getContext('2d')?.drawImage(bmp, 0, 0);
  if (onClick) {
    canvas.addEventListener('click', onClick);
    canvas.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        onClick();
      }
    });
  }
  return canvas;
}

/** A labelled select of probe samples bound to `state.sample`. */
export function sampleSelect(ctx: Ctx, samples: readonly number[], names?: Map<number, string>): HTMLElement {
  const current = samples.includes(ctx.state.sample) ? ctx.state.sample : samples[0] ?? 0;
  return select(
    'Sample',
    samples.map((s) => ({value: String(s), text: names?.get(s) ? `sample ${s} (${names.get(s)})` : `sample ${s}`})),
    String(current),
    (v) => ctx.set({sample: Number(v)}),
    'sample-select',
  );
}

/** The effective sample: the selected one if present, else the first. */
export function effectiveSample(ctx: Ctx, samples: readonly number[]): number {
  return samples.includes(ctx.state.sample) ? ctx.state.sample : samples[0] ?? 0;
}

/** A labelled select of tags of one kind bound to a state key. */
export function tagSelect(
  label: string,
  tags: readonly {tag: string; text: string}[],
  value: string,
  onChange: (tag: string) => void,
  id: string,
): HTMLElement {
  return select(label, tags.map((t) => ({value: t.tag, text: t.text})), value, onChange, id);
}

/**
 * A colour bar of the current look: the LUT from low to high, with the raw
 * range when the scale is shared (per map, each caption has its own range).
 */
export function legend(look: Look, signed: boolean): HTMLElement {
  const bar = h('canvas', {attrs: {width: 256, height: 1, 'aria-hidden': 'true'}});
  const c2d = bar.getContext('2d');
  if (c2d) {
    const img = c2d.createImageData(256, 1);
    for (let i = 0; i < 256; i++) {
      img.data.set([look.table[i * 3], look.table[i * 3 + 1], look.table[i * 3 + 2], 255], i * 4);
    }
    c2d.putImageData(img, 0, 0);
  }
  let lo = 'min';
  let hi = 'max';
  let note = signed ? 'per map, symmetric around 0' : 'per map (own min / max)';
  if (look.scale === 'shared' && look.shared) {
    const r = signed ? symmetric(look.shared) : look.shared;
    lo = formatValue(r.min);
    hi = formatValue(r.max);
    note = 'shared across steps and runs';
  }
  return h('div', {className: 'legend', attrs: {id: 'legend', role: 'note'}}, h('span', {}, lo), bar, h('span', {}, hi), h('span', {}, `· ${note}`));
}
