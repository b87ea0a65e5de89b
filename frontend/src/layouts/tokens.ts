/**
 * The `tokens` layout: each row a sample's tokens as text, each on the
 * colour of its attribution (the value on hover); padding is left out.
 */
import type {ManifestItem, StepEntry} from '../api';
import {tokenCells} from '../attribution';
import {h} from '../dom';
import type {Gray} from '../images';
import type {Series} from '../model';
import {displayRange, formatValue} from '../scale';
import type {Look} from '../render/cell';
import {inputRow} from '../render/sources';
import type {Ctx, LayoutView} from '../render/view';
import {loadingPart} from '../render/widgets';

/** A token map and what it is drawn with: the tokens' texts and which positions hold a token (not padding). */
export interface TokenSource {
  heat: Gray;
  item: ManifestItem;
  tokens: string[] | null;
  present: Uint8Array | null;
  signed: boolean;
}

/** The texts and presence bytes of `sample`'s tokens at `step` (or earlier); nulls without a tokens inputs series. */
export async function tokenInputs(ctx: Ctx, s: Series, step: number, sample: number | undefined): Promise<{tokens: string[] | null; present: Uint8Array | null}> {
  const row = await inputRow(ctx, s, step, sample);
  if (!row) return {tokens: null, present: null};
  const tokens = row.entry.manifest.items[row.index].tokens ?? null;
  const present = await ctx.images.gray(row.entry.images[row.index]).then(
    (g) => g.data,
    () => null,
  );
  return {tokens, present};
}

/** Decodes the token map of item `i` of `entry` with its tokens. Rejects when the map cannot be loaded. */
async function tokenSource(ctx: Ctx, s: Series, entry: StepEntry, i: number): Promise<TokenSource> {
  const item = entry.manifest.items[i];
  const inputsP = tokenInputs(ctx, s, entry.step, item.sample).catch(() => ({tokens: null, present: null}));
  const [heat, inputs] = await Promise.all([ctx.images.gray(entry.images[i]), inputsP]);
  return {heat, item, signed: s.info.signed, ...inputs};
}

/** A sample's tokens, each on its attribution's colour; hovering one gives its value. */
function tokenRow(ctx: Ctx, src: TokenSource, look: Look): HTMLElement {
  const display = displayRange(src.item, look.scale, look.shared, src.signed);
  const cells = tokenCells(src.heat.data, src.item, display, src.signed, look.table, src.tokens, src.present);
  const row = h('div', {className: 'tokens', attrs: {role: 'list'}});
  for (const c of cells) {
    const span = h(
      'span',
      {
        className: c.dark ? 'token' : 'token light',
        attrs: {role: 'listitem', 'aria-label': `${c.text || '(empty)'}: ${formatValue(c.value)}`},
        dataset: {index: String(c.index), value: String(c.value)},
        style: {background: `rgb(${c.rgb.join(',')})`},
      },
      c.text || '∅',
    );
    span.addEventListener('mousemove', (ev) => ctx.hover.show(`"${c.text}" (token ${c.index}): value ${formatValue(c.value)}`, ev));
    span.addEventListener('mouseleave', () => ctx.hover.hide());
    row.appendChild(span);
  }
  if (cells.length === 0) row.appendChild(h('span', {className: 'muted'}, 'no tokens'));
  return row;
}

export const tokensLayout: LayoutView = {
  part: (ctx, row, look) =>
    loadingPart('tokens', row.i, row.caption ?? row.lines, row.correct, () => tokenSource(ctx, row.s, row.entry, row.i).then((src) => tokenRow(ctx, src, look))),
};
