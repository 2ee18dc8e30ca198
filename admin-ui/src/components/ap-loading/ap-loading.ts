/** `<ap-loading label="Loading clients…">`: a polite live region saying something is on its way. */
import { LitElement, css, html } from 'lit';
import { define } from '../../app/define.js';

export class ApLoading extends LitElement {
  static override properties = { label: { type: String } };
  static override styles = css`
    :host { display: block; padding: 16px 0; color: var(--ap-muted); }
    .spinner { display: inline-block; width: 12px; height: 12px; margin-right: 8px; border-radius: 50%;
      border: 2px solid var(--ap-border); border-top-color: var(--ap-accent); animation: spin 0.8s linear infinite; }
    @keyframes spin { to { transform: rotate(360deg); } }
    @media (prefers-reduced-motion: reduce) { .spinner { animation: none; } }
  `;
  declare label: string;

  constructor() {
    super();
    this.label = 'Loading…';
  }

  override render() {
    return html`<div role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${this.label}</div>`;
  }
}
define('ap-loading', ApLoading);
