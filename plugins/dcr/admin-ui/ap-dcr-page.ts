/**
 * The DCR mode page: who may register clients at `POST /oauth/register` (RFC 7591) — the mode in force, whether it
 * is the configured one or an administrator's switch (who, when), the settings only the config sets (approved
 * redirect URIs, the clean-up delay) — and the switch itself (`PATCH
 * /admin/settings/dcr`), with a refused value shown next to its field.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, api, controls, define } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface DcrView {
  mode: string;
  source: 'runtime' | 'config';
  configured_mode: string;
  updated_at: string | null;
  updated_by: string | null;
  approved_redirects: string[];
  inactive_client_ttl: number;
}

const MODES = [
  { value: 'open', label: 'open — anyone may register' },
  { value: 'approved_redirects', label: 'approved_redirects — only with approved redirect URIs' },
  { value: 'admin_only', label: 'admin_only — nobody (also stops CIMD)' },
];

export class ApDcrPage extends LitElement {
  static override properties = { mode: { state: true }, saved: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; max-width: 720px; }
      h1 { margin: 0 0 16px; font-size: 24px; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0 0 20px; }
      dt { color: var(--ap-muted); }
      dd { margin: 0; }
      form { background: var(--ap-surface); border: 1px solid var(--ap-border); border-radius: 8px; padding: 16px; }
      .form-problem { color: var(--ap-danger); margin: 0 0 12px; }
      .saved { color: var(--ap-ok); }
    `,
  ];
  declare mode: string;
  declare saved: boolean;
  readonly #view = new ApiTask<DcrView>(this);
  readonly #save = new ApiTask<DcrView>(this);

  constructor() {
    super();
    this.mode = '';
    this.saved = false;
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#load();
  }

  async #load() {
    const view = await this.#view.run((signal) => api.get<DcrView>('/admin/settings/dcr', { signal }));
    if (view) this.mode = view.mode;
  }

  async #submit(event: Event) {
    event.preventDefault();
    this.saved = false;
    const view = await this.#save.run((signal) => api.patch<DcrView>('/admin/settings/dcr', { mode: this.mode }, { signal }));
    if (!view) {
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('ap-form-field')?.focus();
      return;
    }
    this.#view.value = view;
    this.saved = true;
  }

  override render() {
    const view = this.#view.value;
    if (!view) {
      return html`<h1>DCR mode</h1>${this.#view.status === 'error'
        ? html`<ap-error-state .error=${this.#view.error} retry @ap-retry=${() => this.#load()}></ap-error-state>`
        : html`<ap-loading label="Loading the DCR mode"></ap-loading>`}`;
    }
    const error = this.#save.error;
    const fieldError = error instanceof ApiError ? error.forField('mode') : undefined;
    const general = error && !fieldError ? error.message : undefined;
    return html`<h1>DCR mode</h1>
      <p class="muted">Who may register an OAuth client at <code>POST /oauth/register</code> (dynamic client registration).</p>
      <dl>
        <dt>In force</dt><dd data-testid="dcr-mode"><strong>${view.mode}</strong></dd>
        <dt>Set by</dt><dd>${view.source === 'runtime' ? html`${view.updated_by} at ${new Date(view.updated_at!).toLocaleString()}` : 'the configuration'}</dd>
        <dt>Configured mode</dt><dd>${view.configured_mode}${view.source === 'runtime' && view.configured_mode !== view.mode ? ' (overridden)' : nothing}</dd>
        <dt>Approved redirect URIs</dt>
        <dd data-testid="approved-redirects">${view.approved_redirects.length
          ? view.approved_redirects.map((uri) => html`<code>${uri}</code><br />`)
          : html`<span class="muted">none</span>`}</dd>
        <dt>Unused clients deleted after</dt><dd>${Math.round(view.inactive_client_ttl / 86_400)} days (by <code>authserver purge</code>)</dd>
      </dl>
      <p class="muted">Approved redirect URIs and the clean-up delay are set in the configuration (<code>dcr({ approvedRedirects, inactiveClientTtl })</code>).</p>
      <form @submit=${this.#submit}>
        ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
        <ap-form-field name="mode" label="Mode" type="select" .value=${this.mode} .options=${MODES} .error=${fieldError}
          hint="Stored: it wins over the configured mode, across restarts."
          @ap-change=${(e: CustomEvent<{ value: string }>) => ((this.mode = e.detail.value), (this.saved = false))}></ap-form-field>
        <button type="submit" class="primary" ?disabled=${this.#save.status === 'loading'}>Save mode</button>
        ${this.saved ? html`<span class="saved" role="status">Saved.</span>` : nothing}
      </form>`;
  }
}
define('ap-dcr-page', ApDcrPage);
