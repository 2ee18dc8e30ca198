/**
 * `<ap-dialog heading="New client">content<div slot="actions">buttons</div></ap-dialog>`: a modal on the native
 * <dialog> (focus trapped and restored, Escape closes). `show()` / `close(returnValue)`; fires `ap-close`.
 */
import { LitElement, css, html } from 'lit';
import { define } from '../../app/define.js';
import { emit } from '../../app/events.js';
import { controls } from '../../styles/theme.js';

export class ApDialog extends LitElement {
  /** The dialog with this id in a page's shadow root (`ApDialog.in(this.renderRoot, 'edit').show()`). */
  static in(root: ParentNode, id: string): ApDialog {
    const dialog = root.querySelector<ApDialog>(`ap-dialog#${id}`);
    if (!dialog) throw new Error(`no <ap-dialog id="${id}"> in this page`);
    return dialog;
  }

  static override properties = { heading: { type: String } };
  static override styles = [
    controls,
    css`
      dialog { border: 1px solid var(--ap-border); border-radius: 10px; background: var(--ap-surface); color: var(--ap-text);
        padding: 0; width: min(640px, 92vw); }
      dialog::backdrop { background: rgb(0 0 0 / 45%); }
      header { display: flex; justify-content: space-between; align-items: center; padding: 12px 16px; border-bottom: 1px solid var(--ap-border); }
      h2 { margin: 0; font-size: 18px; }
      .body { padding: 16px; max-height: 70vh; overflow: auto; }
      footer { display: flex; gap: 8px; justify-content: flex-end; padding: 12px 16px; border-top: 1px solid var(--ap-border); }
    `,
  ];
  declare heading: string;

  constructor() {
    super();
    this.heading = '';
  }

  get #dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  get open(): boolean {
    return this.#dialog?.open ?? false;
  }

  async show(): Promise<void> {
    await this.updateComplete;
    if (!this.#dialog?.open) this.#dialog?.showModal();
  }

  close(returnValue = ''): void {
    if (this.#dialog?.open) this.#dialog.close(returnValue);
  }

  override render() {
    return html`<dialog aria-labelledby="heading" @close=${(e: Event) => emit(this, 'ap-close', { returnValue: (e.target as HTMLDialogElement).returnValue })}>
      <header><h2 id="heading">${this.heading}</h2><button type="button" aria-label="Close" @click=${() => this.close('cancel')}>✕</button></header>
      <div class="body"><slot></slot></div>
      <footer><slot name="actions"></slot></footer>
    </dialog>`;
  }
}
define('ap-dialog', ApDialog);
