/**
 * `<ap-sign-in .config=${config}>`: the two ways in — paste the admin API key (checked against the admin API before
 * it is kept), or sign in with an admin user's login through the server's own login page. Fires `ap-signed-in`.
 */
import { LitElement, css, html, nothing } from 'lit';
import { define } from '../../app/define.js';
import { emit } from '../../app/events.js';
import type { ConsoleConfig } from '../../app/pages.js';
import { AdminApi } from '../../api/client.js';
import { ApiError } from '../../api/problem.js';
import { saveCredential } from '../../api/session.js';
import { beginUserSignIn } from '../../api/user-sign-in.js';
import { controls } from '../../styles/theme.js';
import '../ap-form-field/ap-form-field.js';

export class ApSignIn extends LitElement {
  static override properties = { config: { attribute: false }, message: { type: String }, error: { state: true }, busy: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; max-width: 440px; margin: 10vh auto; padding: 0 16px; }
      main { background: var(--ap-surface); border: 1px solid var(--ap-border); border-radius: 10px; padding: 24px; }
      h1 { font-size: 22px; margin: 0 0 16px; }
      .or { text-align: center; color: var(--ap-muted); margin: 16px 0; }
      .notice { border-left: 3px solid var(--ap-warn); padding: 4px 10px; margin-bottom: 16px; }
      button { width: 100%; }
    `,
  ];
  declare config: ConsoleConfig;
  declare message: string;
  declare error: string | undefined;
  declare busy: boolean;
  #key = '';

  constructor() {
    super();
    this.config = {};
    this.message = '';
    this.busy = false;
  }

  async #submitKey(event: Event) {
    event.preventDefault();
    const key = this.#key.trim();
    if (!key) {
      this.error = 'paste the admin API key (AUTHPLANE_ADMIN_API_KEY)';
      return;
    }
    this.busy = true;
    try {
      await new AdminApi(() => key).get('/admin/system/status');
      saveCredential({ kind: 'key', secret: key });
      this.error = undefined;
      emit(this, 'ap-signed-in', undefined);
    } catch (error) {
      this.error = error instanceof ApiError && error.status === 401 ? 'the admin API refused this key' : (error as Error).message;
    } finally {
      this.busy = false;
    }
  }

  override render() {
    const user = this.config.userSignIn;
    return html`<main aria-labelledby="title">
      <h1 id="title">AuthPlane admin console</h1>
      ${this.message ? html`<p class="notice" role="status">${this.message}</p>` : nothing}
      ${user
        ? html`<button type="button" class="primary" @click=${() => beginUserSignIn(user)}>Sign in with your account</button>
            <p class="or">or</p>`
        : nothing}
      <form @submit=${this.#submitKey}>
        <ap-form-field label="Admin API key" name="api_key" type="password" .error=${this.error}
          hint="Kept in this tab only (sessionStorage); sent as Authorization: Bearer."
          @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.#key = String(e.detail.value))}></ap-form-field>
        <button type="submit" class=${user ? '' : 'primary'} ?disabled=${this.busy}>Sign in with the API key</button>
      </form>
    </main>`;
  }
}
define('ap-sign-in', ApSignIn);
