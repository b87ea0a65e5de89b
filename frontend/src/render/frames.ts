/** The frame slider and play button of rows of several frames (slices, clips), above a block of them and in the large view. */
import {h} from '../dom';
import {clampFrame} from '../tiles';

/** How long each frame shows while playing. */
export const FRAME_MS = 500;

/**
 * A slider over `depth` frames, a "frame k of D" label and a
 * play button that steps through the frames (wrapping) until paused or the
 * controls leave the page. `onFrame` gets each frame shown.
 */
export function frameControls(depth: number, onFrame: (k: number) => void, start = 0): HTMLElement {
  let frame = clampFrame(start, depth);
  let timer: number | null = null;
  const slider = h('input', {className: 'frame-slider', attrs: {type: 'range', min: 0, max: depth - 1, step: 1, value: frame, 'aria-label': 'Frame'}});
  const label = h('span', {className: 'frame-label', attrs: {'aria-live': 'polite'}});
  const play = h('button', {className: 'frame-play', attrs: {type: 'button', 'aria-pressed': 'false'}}, 'Play frames');
  const el = h('div', {className: 'frame-controls', dataset: {frames: String(depth)}}, h('span', {className: 'field-label'}, 'Frame'), slider, label, play);
  const show = (k: number) => {
    frame = clampFrame(k, depth);
    slider.value = String(frame);
    label.textContent = `frame ${frame + 1} of ${depth}`;
    el.dataset.frame = String(frame);
    onFrame(frame);
  };
  const stop = () => {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
    play.textContent = 'Play frames';
    play.setAttribute('aria-pressed', 'false');
  };
  slider.addEventListener('input', () => show(Number(slider.value)));
  play.addEventListener('click', () => {
    if (timer !== null) {
      stop();
      return;
    }
    play.textContent = 'Pause frames';
    play.setAttribute('aria-pressed', 'true');
    timer = window.setInterval(() => {
      if (!el.isConnected) stop();
      else show((frame + 1) % depth);
    }, FRAME_MS);
  });
  label.textContent = `frame ${frame + 1} of ${depth}`;
  el.dataset.frame = String(frame);
  return el;
}
