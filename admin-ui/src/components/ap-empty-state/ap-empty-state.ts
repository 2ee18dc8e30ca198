/** `<ap-empty-state heading="No clients yet">text, and a slotted action</ap-empty-state>`. */
import { LitElement, css, html } from 'lit';
import { define } from '../../app/define.js';

export class ApEmptyState extends LitElement {
  static override properties = { heading: { type: String } };
  static override styles = css`
    :host { display: block; padding: 32px 16px; text-align: center; color: var(--ap-muted);
      border: 1px dashed var(--ap-border); border-radius: 8px; }
    h3 { margin: 0 0 8px; color: var(--ap-text); font-size: 16px; }
  `;
  declare heading: string;

  constructor() {
    super();
    this.heading = 'Nothing here yet';
  }

  override render() {
    return html`<h3>${this.heading}</h3><slot></slot>`;
  }
}
define('ap-empty-state', ApEmptyState);
