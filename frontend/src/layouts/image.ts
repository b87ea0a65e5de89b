/** The `image` layout: each row a heatmap over its input image ([H, W] maps over [H, W, C] inputs). */
import type {LayoutView} from '../render/view';
import {heatPart} from './heat';

export const imageLayout: LayoutView = {
  part: (ctx, row, look) => heatPart(ctx, row, look, false),
};
