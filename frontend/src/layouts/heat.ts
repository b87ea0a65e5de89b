/** The heatmap part of a row (an image, a sequence, one frame of a tile of several): its map over its input, painted once loaded. */
import {h} from '../dom';
import {bindHeat, emptyHeatCanvas, Look} from '../render/cell';
import {heatSource} from '../render/sources';
import type {Ctx, Part, Row} from '../render/view';
import {caption, markBroken} from '../render/widgets';

/**
 * The cell of `row`: a canvas painted with its map over its input (`stretch`:
 * a one-row map over each channel row of its input), the raw value on hover,
 * the large view on click (at the frame shown).
 */
export function heatPart(ctx: Ctx, row: Row, look: Look, stretch: boolean): Part {
  const {s, entry, i, lines} = row;
  const item = entry.manifest.items[i];
  const title = `${s.run} · ${s.tag} · step ${entry.step}`;
  const canvas = emptyHeatCanvas(`${title} · ${lines.join(' · ')}`, true, entry.tile);
  const file = `${s.run}_${s.tag}_step${entry.step}_sample${item.sample ?? i}`;
  let frame = 0;
  let repaint: ((k: number) => void) | null = null;
  const load = () =>
    heatSource(ctx, s, entry, i, stretch).then(
      (src) => {
        repaint = bindHeat(canvas, src, look, ctx.hover, (k) => ctx.openLarge({title, lines, src, look, file, frame: k}), frame);
      },
      // One unreadable blob must not hide the rest of the view.
      (err) => markBroken(canvas, title, err),
    );
  const el = h('figure', {className: 'cell', dataset: {item: String(i)}}, canvas, caption(row.caption ?? lines, row.correct));
  const setFrame = (k: number) => {
    frame = k;
    repaint?.(k);
  };
  return {el, load, setFrame};
}
