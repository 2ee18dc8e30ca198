/**
 * `<ap-error-state .error=${err}>`: what went wrong, as an alert; the problem's title and detail for an admin API
 * refusal. Its "Try again" button fires `ap-retry`.
 */
import { LitElement, css, html, nothing } from 'lit';
import { define } from '../../app/define.js';
import { emit } from '../../app/events.js';
import { ApiError } from '../../api/problem.js';
import { controls } from '../../styles/theme.js';

export class ApErrorState extends LitElement {
  static override properties = { error: { attribute: false }, retry: { type: Boolean } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      div { border: 1px solid var(--ap-danger); border-radius: 8px; padding: 12px 16px; }
      strong { color: var(--ap-danger); }
      p { margin: 4px 0 8px; }
    `,
  ];
  declare error: Error | undefined;
  declare retry: boolean;

  constructor() {
    super();
    this.retry = false;
  }

  override render() {
    if (!this.error) return nothing;
    const title = this.error instanceof ApiError ? `${this.error.title} (${this.error.status})` : 'Something went wrong';
    const detail = this.error instanceof ApiError ? this.error.detail : this.error.message;
    return html`<div role="alert">
      <strong>${title}</strong>
      ${detail ? html`<p>${detail}</p>` : nothing}
      ${this.retry ? html`<button @click=${() => emit(this, 'ap-retry', undefined)}>Try again</button>` : nothing}
    </div>`;
  }
}
define('ap-error-state', ApErrorState);
