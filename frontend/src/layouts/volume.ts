/**
 * The `volume` layout (volumes and clips): each row a heatmap of one frame
 * of its [D, H, W] map over the same frame of its input, and a frame slider
 * (with play) above a block that moves every row of it.
 */
import {frameControls} from '../render/frames';
import type {LayoutView} from '../render/view';
import {heatPart} from './heat';

export const volumeLayout: LayoutView = {
  part: (ctx, row, look) => heatPart(ctx, row, look, false),
  controls(entries, parts) {
    const frames = Math.max(1, ...entries.map((e) => e.tile.frames));
    return frames > 1 ? frameControls(frames, (k) => parts.forEach((p) => p.setFrame?.(k))) : null;
  },
};
