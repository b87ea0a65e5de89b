/**
 * The `sequence` layout: each row a one-row heatmap [T] over its input
 * [T, C] (drawn as C pixel rows), repeated on each channel row, never
 * resampled along time.
 */
import type {LayoutView} from '../render/view';
import {heatPart} from './heat';

export const sequenceLayout: LayoutView = {
  part: (ctx, row, look) => heatPart(ctx, row, look, true),
};
