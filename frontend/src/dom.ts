/**
 * Element helpers. Data from the logdir (run names, tags, class names) only
 * ever reaches the DOM through `textContent` or attribute values, never as HTML.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  className?: string;
  /** Attributes; event-handler attributes (on*) are rejected. */
  attrs?: Record<string, string | number | boolean | undefined>;
  dataset?: Record<string, string>;
  style?: Record<string, string>;
  on?: {[K in keyof HTMLElementEventMap]?: (ev: HTMLElementEventMap[K]) => void};
}

/** Creates an element; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.className) el.className = props.className;
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    if (/^on/i.test(k)) throw new Error(`Event attributes are not allowed. Received: attr=${k}`);
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const [k, v] of Object.entries(props.dataset ?? {})) el.dataset[k] = v;
  for (const [k, v] of Object.entries(props.style ?? {})) el.style.setProperty(k, v);
  for (const [k, fn] of Object.entries(props.on ?? {})) {
    if (fn) el.addEventListener(k, fn as EventListener);
  }
  append(el, ...children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element (attributes as in `h`: event-handler attributes are rejected). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | undefined> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (/^on/i.test(k)) throw new Error(`Event attributes are not allowed. Received: attr=${k}`);
    if (v !== undefined) el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

/** Appends children; strings and numbers become text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Removes all children and appends new ones. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** A labelled <select> whose options are text. */
export function select(
  label: string,
  options: readonly {value: string; text: string}[],
  value: string,
  onChange: (value: string) => void,
  id: string,
): HTMLElement {
  const sel = h('select', {attrs: {id, name: id}});
  for (const o of options) {
    const opt = h('option', {attrs: {value: o.value}}, o.text);
    if (o.value === value) opt.selected = true;
    sel.appendChild(opt);
  }
  sel.addEventListener('change', () => onChange(sel.value));
  return h('label', {className: 'field', attrs: {for: id}}, h('span', {className: 'field-label'}, label), sel);
}
