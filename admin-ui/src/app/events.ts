/**
 * The console's typed events: every element dispatches them through `emit`, and listeners get their `detail`
 * typed through HTMLElementEventMap.
 */

export interface ApEvents {
  /** ap-data-table: the operator asked for the next page. */
  'ap-load-more': undefined;
  /** ap-form-field: its control's value changed. */
  'ap-change': { name: string; value: string | boolean };
  /** ap-dialog: it closed (Escape, its close button, or `close()`); `returnValue` is the button that closed it. */
  'ap-close': { returnValue: string };
  /** ap-sign-in: a credential was accepted. */
  'ap-signed-in': undefined;
  /** ap-copy-button: the value is on the clipboard. */
  'ap-copied': { value: string };
  /** ap-error-state: the operator asked to try again. */
  'ap-retry': undefined;
}

declare global {
  interface HTMLElementEventMap {
    'ap-load-more': CustomEvent<ApEvents['ap-load-more']>;
    'ap-change': CustomEvent<ApEvents['ap-change']>;
    'ap-close': CustomEvent<ApEvents['ap-close']>;
    'ap-signed-in': CustomEvent<ApEvents['ap-signed-in']>;
    'ap-copied': CustomEvent<ApEvents['ap-copied']>;
    'ap-retry': CustomEvent<ApEvents['ap-retry']>;
  }
}

/** Dispatches a typed console event from `target`, bubbling out of shadow roots. */
export function emit<K extends keyof ApEvents>(target: EventTarget, name: K, detail: ApEvents[K]): boolean {
  return target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable: true }));
}
