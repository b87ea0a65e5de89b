/**
 * Follows TensorBoard's dark mode. The host toggles `body.dark-mode` on the
 * parent (same-origin) document; reading it is unofficial, so this falls back
 * to `prefers-color-scheme` when the parent is not reachable.
 */
export function watchTheme(apply: (dark: boolean) => void): void {
  let parentBody: HTMLElement | null = null;
  try {
    if (window.parent !== window) parentBody = window.parent.document.body;
  } catch {
    parentBody = null;
  }
  if (parentBody) {
    const body = parentBody;
    const read = (): void => apply(body.classList.contains('dark-mode'));
    read();
    new MutationObserver(read).observe(body, {attributes: true, attributeFilter: ['class']});
    return;
  }
  const mq = typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  apply(!!mq?.matches);
  mq?.addEventListener('change', (e) => apply(e.matches));
}
