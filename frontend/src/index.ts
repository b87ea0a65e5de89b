/**
 * Entry point of the tbexplain TensorBoard tab. TensorBoard's plugin_entry.html
 * imports this module and calls `render()` once, without arguments.
 */
import {App} from './app';

export function render(): void {
  const root = document.createElement('div');
  root.id = 'tbexplain-root';
  root.style.height = '100%';
  document.body.appendChild(root);
  new App(root).start();
}
