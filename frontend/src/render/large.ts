/** The large view of one image (a dialog), with hover values, a frame slider for tiles of several frames, and downloads (overlay PNG, raw map .npy). */
import {h} from '../dom';
import {npyFloat32, rawMap} from '../npy';
import {HoverSink, hoverText, paintHeat, valueAt} from './cell';
import type {LargeView} from './view';
import {frameControls} from './frames';

/** A file name from logdir names: only letters, digits, '.', '-' and '_'. */
export function safeFileName(stem: string): string {
  return stem.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 180) || 'tbexplain';
}

/** Saves `blob` as `name` through a temporary link (the browser's download). */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', {attrs: {href: url, download: name}, style: {display: 'none'}});
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later: the download reads the URL after the click returns.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function button(id: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', {attrs: {type: 'button', id}}, text);
  b.addEventListener('click', onClick);
  return b;
}

/** Opens the dialog of `v` (replacing any open one). */
export function openLarge(v: LargeView, hover: HoverSink): void {
  document.querySelector('.modal')?.remove();
  const close = h('button', {attrs: {type: 'button', id: 'large-close', 'aria-label': 'Close'}}, 'Close');
  const canvas = h('canvas', {className: 'heat', attrs: {role: 'img', 'aria-label': v.title, id: 'large-canvas'}});
  const src = v.src;
  const look = v.look;
  let frames: HTMLElement | null = null;
  if (src && look) {
    let frame = v.frame ?? 0;
    paintHeat(canvas, src, look, frame);
    canvas.addEventListener('mousemove', (ev) => {
      const r = valueAt(canvas, src, ev, frame);
      if (r) hover.show(hoverText(r, src, frame), ev);
      else hover.hide();
    });
    canvas.addEventListener('mouseleave', () => hover.hide());
    if (src.depth > 1) {
      frames = frameControls(
        src.depth,
        (k) => {
          frame = k;
          paintHeat(canvas, src, look, k);
        },
        frame,
      );
    }
  } else if (v.bitmap) {
    canvas.width = v.bitmap.width;
    canvas.height = v.bitmap.height;
    canvas.getContext('2d')?.drawImage(v.bitmap, 0, 0);
  }
  const file = safeFileName(v.file);
  const downloads = h('p', {className: 'downloads'});
  downloads.appendChild(
    button('download-png', src ? 'Download overlay (PNG)' : 'Download image (PNG)', () => {
      canvas.toBlob((blob) => {
        if (blob) save(blob, `${file}.png`);
      }, 'image/png');
    }),
  );
  if (src) {
    // The map at its own resolution and shape, as logged (not the upsampled display).
    const shape = src.shape;
    downloads.append(
      ' ',
      button('download-npy', 'Download raw map (.npy)', () => {
        const bytes = npyFloat32(rawMap(src.heat.data, src.item), shape);
        save(new Blob([bytes], {type: 'application/octet-stream'}), `${file}.npy`);
      }),
    );
  }
  const info = h('div', {}, h('div', {className: 'run-chip'}, v.title), ...v.lines.map((l) => h('div', {}, l)), frames);
  if (src?.baseError) info.appendChild(h('div', {className: 'note'}, `input image not shown: ${src.baseError}`));
  info.append(downloads, h('p', {}, close));
  const modal = h('div', {className: 'modal', attrs: {role: 'dialog', 'aria-modal': 'true', 'aria-label': v.title}}, h('div', {className: 'modal-box'}, canvas, info));
  modal.addEventListener('click', (ev) => {
    if (ev.target === modal) modal.remove();
  });
  close.addEventListener('click', () => modal.remove());
  document.body.appendChild(modal);
  close.focus();
}
