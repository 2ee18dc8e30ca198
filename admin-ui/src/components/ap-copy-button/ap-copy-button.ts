/** `<ap-copy-button value=${secret} label="Copy secret">`: copies `value` and says so; fires `ap-copied`. */
import { LitElement, html } from 'lit';
import { define } from '../../app/define.js';
import { emit } from '../../app/events.js';
import { controls } from '../../styles/theme.js';

export class ApCopyButton extends LitElement {
  static override properties = { value: { type: String }, label: { type: String }, copied: { state: true } };
  static override styles = controls;
  declare value: string;
  declare label: string;
  declare copied: boolean;

  constructor() {
    super();
    this.value = '';
    this.label = 'Copy';
    this.copied = false;
  }

  async #copy() {
    try {
      await navigator.clipboard.writeText(this.value);
      this.copied = true;
      emit(this, 'ap-copied', { value: this.value });
    } catch {
      // No clipboard permission (an insecure origin, a denied prompt): the value stays selectable beside the button.
      this.copied = false;
    }
  }

  override render() {
    return html`<button type="button" @click=${this.#copy}>${this.copied ? 'Copied' : this.label}</button>
      <span class="visually-hidden" role="status">${this.copied ? 'Copied to the clipboard' : ''}</span>`;
  }
}
define('ap-copy-button', ApCopyButton);
