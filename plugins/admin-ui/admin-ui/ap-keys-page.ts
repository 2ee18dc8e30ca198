/**
 * The Signing keys page: the key ring (kid, alg, current / published / expired, created), rotation after a
 * confirmation, and the JWT inspector — a pasted token decoded and checked by the server (`POST /admin/keys/inspect`)
 * against its key ring and clock, one line per check saying why it fails.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, api, controls, define, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Key {
  kid: string;
  alg: string;
  status: 'current' | 'published' | 'expired';
  created_at: string;
  retired_at: string | null;
  published_until: string | null;
}

interface Check {
  check: string;
  ok: boolean | null;
  detail: string;
}

interface Inspection {
  valid: boolean;
  header: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  checks: Check[];
  now: string;
}

const CHECK_LABELS: Record<string, string> = {
  format: 'Format',
  kid: 'Key id (kid) known',
  alg: 'Algorithm',
  signature: 'Signature',
  iss: 'Issuer (iss)',
  aud: 'Audience (aud)',
  exp: 'Expiry (exp)',
  nbf: 'Not before (nbf)',
  revoked: 'Not revoked',
};

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

export class ApKeysPage extends LitElement {
  static override properties = { token: { state: true }, audience: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      h1 { margin: 0 auto 0 0; font-size: 24px; }
      h2 { font-size: 19px; margin: 28px 0 8px; }
      .bar { display: flex; gap: 12px; align-items: center; margin-bottom: 16px; }
      .verdict { font-weight: 700; margin: 12px 0; }
      .verdict.ok, .ok-mark { color: var(--ap-ok); }
      .verdict.bad, .bad-mark { color: var(--ap-danger); }
      .skip-mark { color: var(--ap-muted); }
      ul.checks { list-style: none; padding: 0; margin: 0 0 16px; }
      ul.checks li { padding: 6px 0; border-top: 1px solid var(--ap-border); display: grid; grid-template-columns: 9em 14em 1fr; gap: 8px; }
      pre { background: var(--ap-surface-2); border-radius: 6px; padding: 10px; overflow: auto; margin: 0; }
      .decoded { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
      .decoded h3 { font-size: 15px; margin: 0 0 4px; }
      .form-problem { color: var(--ap-danger); }
    `,
  ];
  declare token: string;
  declare audience: string;
  readonly #keys = new ApiTask<Key[]>(this);
  readonly #rotate = new ApiTask<Key>(this);
  readonly #inspect = new ApiTask<Inspection>(this);

  constructor() {
    super();
    this.token = '';
    this.audience = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#load();
  }

  #load() {
    return this.#keys.run(async (signal) => (await api.get<{ keys: Key[] }>('/admin/keys', { signal })).keys);
  }

  async #rotateKey() {
    if (!confirm('Rotate the signing key? New tokens are signed with a new key; the current one stays published, so tokens it signed keep verifying.')) return;
    if (await this.#rotate.run((signal) => api.post<Key>('/admin/keys/rotate', {}, { signal }))) await this.#load();
  }

  async #submit(event: Event) {
    event.preventDefault();
    await this.#inspect.run((signal) => api.post<Inspection>('/admin/keys/inspect', { token: this.token, audience: this.audience || undefined }, { signal }));
  }

  #mark(ok: boolean | null) {
    if (ok === true) return html`<span class="ok-mark">✓ pass</span>`;
    if (ok === false) return html`<span class="bad-mark">✗ fail</span>`;
    return html`<span class="skip-mark">– not decided</span>`;
  }

  #result(result: Inspection) {
    const failed = result.checks.filter((c) => c.ok === false);
    return html`<p class="verdict ${result.valid ? 'ok' : 'bad'}" role="status" data-testid="verdict">
        ${result.valid ? 'Valid: every check passed.' : `Not valid: ${failed.map((c) => CHECK_LABELS[c.check] ?? c.check).join(', ') || 'the signature could not be checked'}.`}
      </p>
      <ul class="checks" aria-label="Checks">
        ${result.checks.map((c) => html`<li data-check=${c.check}><span>${this.#mark(c.ok)}</span><strong>${CHECK_LABELS[c.check] ?? c.check}</strong><span>${c.detail}</span></li>`)}
      </ul>
      <p class="muted">Compared with the server's clock: ${result.now}</p>
      <div class="decoded">
        <div><h3>Header</h3><pre>${JSON.stringify(result.header, null, 2)}</pre></div>
        <div><h3>Payload</h3><pre>${JSON.stringify(result.payload, null, 2)}</pre></div>
      </div>`;
  }

  override render() {
    const keys = this.#keys;
    const columns: Column<Key>[] = [
      { key: 'kid', label: 'Key id', render: (k) => html`<code>${k.kid}</code>` },
      { key: 'alg', label: 'Algorithm' },
      { key: 'status', label: 'Status', render: (k) => html`<span class="badge ${k.status === 'current' ? 'active' : k.status === 'published' ? 'suspended' : 'revoked'}">${k.status === 'published' ? 'retired, published' : k.status}</span>` },
      { key: 'created_at', label: 'Created', render: (k) => when(k.created_at) },
      { key: 'published_until', label: 'Published until', render: (k) => (k.status === 'current' ? '—' : when(k.published_until)) },
    ];
    const inspect = this.#inspect;
    const problem = inspect.error instanceof ApiError ? inspect.error : undefined;
    return html`<div class="bar">
        <h1>Signing keys</h1>
        <button type="button" class="primary" @click=${() => this.#rotateKey()} ?disabled=${this.#rotate.status === 'loading'}>Rotate key</button>
      </div>
      ${this.#rotate.status === 'error' ? html`<ap-error-state .error=${this.#rotate.error}></ap-error-state>` : nothing}
      ${this.#rotate.status === 'ok' && this.#rotate.value ? html`<p role="status">New signing key <code>${this.#rotate.value.kid}</code>; the previous one stays published.</p>` : nothing}
      <ap-data-table label="Keys" .columns=${columns} .rows=${keys.value ?? []} status=${keys.status} .error=${keys.error}
        empty-heading="No keys" @ap-retry=${() => this.#load()}></ap-data-table>

      <h2 id="inspector">JWT inspector</h2>
      <p class="muted">Paste an access token: the server decodes it and checks it against its own keys, issuer and clock. The token is not stored or logged.</p>
      <form @submit=${this.#submit} aria-labelledby="inspector">
        <ap-form-field name="token" label="Token" type="textarea" required .value=${this.token} .error=${problem?.forField('token')}
          @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.token = String(e.detail.value))}></ap-form-field>
        <ap-form-field name="audience" label="Expected audience (resource URI)" hint="Optional: the resource the token should be for."
          .value=${this.audience} .error=${problem?.forField('audience')}
          @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.audience = String(e.detail.value))}></ap-form-field>
        <button type="submit" class="primary" ?disabled=${inspect.status === 'loading'}>Inspect</button>
      </form>
      ${inspect.status === 'error' && !problem?.fieldErrors.length ? html`<p class="form-problem" role="alert">${inspect.error?.message}</p>` : nothing}
      ${inspect.status === 'ok' && inspect.value ? this.#result(inspect.value) : nothing}`;
  }
}
define('ap-keys-page', ApKeysPage);
