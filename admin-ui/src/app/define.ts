/** Defines a custom element once (a page module and the shell may both import an element). */
export function define(tag: string, element: CustomElementConstructor): void {
  if (!customElements.get(tag)) customElements.define(tag, element);
}
