/**
 * page/dom.ts — the few DOM helpers the pages use (no framework): find an element by id, build
 * one with attributes and children, show or hide, fill a field's error message.
 */

/** The element with `id`, typed; throws when the page's HTML lacks it (a bug, not a runtime state). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** Attributes of {@link h}: strings, or `false`/`null` to leave one out. */
export type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Builds an element: `h("a", { href: "/x", class: "link" }, "text", child)`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: readonly (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** Shows or hides an element (the `hidden` attribute). */
export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** Sets a text only when it changed (keeps screen readers and selections calm). */
export function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** Marks an input invalid with `message` (its `<id>-error` paragraph), or clears it with `null`. */
export function fieldError(input: HTMLInputElement | HTMLTextAreaElement, message: string | null): void {
  const box = document.getElementById(`${input.id}-error`);
  if (message === null) input.removeAttribute("aria-invalid");
  else input.setAttribute("aria-invalid", "true");
  if (box !== null) {
    box.textContent = message ?? "";
    box.hidden = message === null;
  }
}
