/**
 * The Broker page: the upstream providers broker resources name (create, edit, delete — with the choice of revoking
 * the users' grants when the API refuses because some exist) and the users' grants with them (filtered by user and
 * provider; revoke). Secrets are never shown: a provider names the environment variable that holds its secret, and
 * the API answers no token or ciphertext.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, ListController, api, controls, define, ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

type Protocol = 'oauth' | 'api_key' | 'service_account';

interface Provider {
  id: string;
  slug: string;
  display_name: string;
  protocol: Protocol;
  config: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

interface Grant {
  id: string;
  user_id: string;
  provider: string | null;
  provider_id: string;
  scopes: string[];
  access_token_expires_at: string | null;
  has_refresh_token: boolean;
  updated_at: string;
}

type Draft = Record<string, string | boolean>;

interface ConfigField {
  name: string;
  label: string;
  type?: 'text' | 'url' | 'select' | 'checkbox' | 'textarea';
  choices?: string[];
  hint?: string;
  list?: boolean;
}

const SECRET_REF_HINT = 'The NAME of the environment variable holding it, never the value.';
const CONFIG_FIELDS: Record<Protocol, ConfigField[]> = {
  oauth: [
    { name: 'client_id', label: 'Client id' },
    { name: 'client_secret_ref', label: 'Client secret variable', hint: SECRET_REF_HINT },
    { name: 'authorize_url', label: 'Authorize URL', type: 'url' },
    { name: 'token_url', label: 'Token URL', type: 'url' },
    { name: 'default_scopes', label: 'Default scopes', list: true, hint: 'Space-separated.' },
    { name: 'scope_separator', label: 'Scope separator', type: 'select', choices: [' ', ','] },
    { name: 'response_quirk', label: 'Token response quirk', type: 'select', choices: ['none', 'github', 'slack'] },
    { name: 'token_auth_method', label: 'Token endpoint authentication', type: 'select', choices: ['client_secret_basic', 'client_secret_post'] },
    { name: 'authorize_params', label: 'Extra authorize parameters', type: 'textarea', hint: 'name=value, one a line.' },
    { name: 'pkce', label: 'Send PKCE (S256)', type: 'checkbox' },
  ],
  api_key: [
    { name: 'credential_ref', label: 'API key variable', hint: SECRET_REF_HINT },
    { name: 'scopes', label: 'Scopes the key carries', list: true, hint: 'Space-separated.' },
  ],
  service_account: [
    { name: 'client_id', label: 'Client id' },
    { name: 'client_secret_ref', label: 'Client secret variable', hint: SECRET_REF_HINT },
    { name: 'token_url', label: 'Token URL', type: 'url' },
    { name: 'default_scopes', label: 'Default scopes', list: true, hint: 'Space-separated.' },
    { name: 'scope_separator', label: 'Scope separator', type: 'select', choices: [' ', ','] },
    { name: 'token_auth_method', label: 'Token endpoint authentication', type: 'select', choices: ['client_secret_basic', 'client_secret_post'] },
  ],
};
const DEFAULTS: Draft = { scope_separator: ' ', response_quirk: 'none', token_auth_method: 'client_secret_basic', pkce: true };

function draftOf(p?: Provider): Draft {
  if (!p) return { slug: '', display_name: '', protocol: 'oauth', ...DEFAULTS };
  const draft: Draft = { slug: p.slug, display_name: p.display_name, protocol: p.protocol };
  for (const field of CONFIG_FIELDS[p.protocol]) {
    const value = p.config[field.name];
    if (Array.isArray(value)) draft[field.name] = value.join(' ');
    else if (value && typeof value === 'object') draft[field.name] = Object.entries(value).map(([k, v]) => `${k}=${String(v)}`).join('\n');
    else if (typeof value === 'string' || typeof value === 'boolean') draft[field.name] = value;
  }
  return draft;
}

function bodyOf(draft: Draft) {
  const protocol = draft.protocol as Protocol;
  const config: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS[protocol]) {
    const value = draft[field.name];
    if (value === undefined || value === '') continue;
    if (field.list) config[field.name] = String(value).split(/\s+/).filter(Boolean);
    else if (field.name === 'authorize_params') {
      config[field.name] = Object.fromEntries(
        String(value).split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]),
      );
    } else config[field.name] = value;
  }
  return { slug: String(draft.slug).trim(), display_name: draft.display_name, protocol, config };
}

export class ApBrokerPage extends LitElement {
  static override properties = { draft: { state: true }, editing: { state: true }, deleting: { state: true }, revoking: { state: true }, filter: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin: 0 0 16px; }
      .bar h1, .bar h2 { margin: 0 auto 0 0; }
      h1 { font-size: 24px; }
      h2 { font-size: 20px; }
      section + section { margin-top: 32px; }
      .bar label { display: flex; flex-direction: column; font-size: 13px; color: var(--ap-muted); gap: 2px; }
      .actions { display: flex; gap: 6px; }
      fieldset { border: 1px solid var(--ap-border); border-radius: 8px; margin: 0 0 14px; }
      legend { font-weight: 600; }
      .form-problem { color: var(--ap-danger); margin: 0 0 12px; }
    `,
  ];
  declare draft: Draft;
  declare editing: Provider | undefined;
  declare deleting: Provider | undefined;
  declare revoking: Grant | undefined;
  declare filter: { user_id: string; provider: string };
  readonly #providers = new ListController<Provider>(this, { path: '/admin/broker-providers', key: 'providers' });
  readonly #grants = new ListController<Grant>(this, { path: '/admin/broker-grants', key: 'grants' });
  readonly #save = new ApiTask<Provider>(this);
  readonly #remove = new ApiTask<void>(this);

  constructor() {
    super();
    this.draft = draftOf();
    this.filter = { user_id: '', provider: '' };
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#providers.reload();
    void this.#grants.reload(this.filter);
  }


  #open(provider?: Provider) {
    this.editing = provider;
    this.draft = draftOf(provider);
    this.#save.reset();
    void ApDialog.in(this.renderRoot, 'edit').show();
  }

  async #submit(event: Event) {
    event.preventDefault();
    const editing = this.editing;
    const body = bodyOf(this.draft);
    const saved = await this.#save.run((signal) =>
      editing ? api.patch<Provider>(`/admin/broker-providers/${encodeURIComponent(editing.id)}`, body, { signal }) : api.post<Provider>('/admin/broker-providers', body, { signal }),
    );
    if (!saved) return;
    if (editing) this.#providers.replace(saved, (a, b) => a.id === b.id);
    else this.#providers.prepend(saved);
    ApDialog.in(this.renderRoot, 'edit').close('saved');
  }

  #ask(dialog: 'delete' | 'revoke', patch: { deleting?: Provider; revoking?: Grant }) {
    Object.assign(this, patch);
    this.#remove.reset();
    void ApDialog.in(this.renderRoot, dialog).show();
  }

  async #delete(cascade: boolean) {
    const provider = this.deleting!;
    await this.#remove.run((signal) => api.delete(`/admin/broker-providers/${encodeURIComponent(provider.id)}`, { signal, query: cascade ? { cascade: true } : undefined }));
    if (this.#remove.status !== 'ok') return;
    ApDialog.in(this.renderRoot, 'delete').close('deleted');
    void this.#providers.reload();
    void this.#grants.reload();
  }

  async #revoke() {
    const grant = this.revoking!;
    await this.#remove.run((signal) => api.delete(`/admin/broker-grants/${encodeURIComponent(grant.user_id)}/${encodeURIComponent(grant.provider_id)}`, { signal }));
    if (this.#remove.status !== 'ok') return;
    ApDialog.in(this.renderRoot, 'revoke').close('revoked');
    void this.#grants.reload();
  }

  #field(name: string, label: string, options: { type?: string; hint?: string; required?: boolean; choices?: string[]; problem?: string } = {}) {
    const error = this.#save.error instanceof ApiError ? this.#save.error.forField(options.problem ?? name) : undefined;
    const choices = (options.choices ?? []).map((v) => ({ value: v, label: v === ' ' ? 'space' : v }));
    return html`<ap-form-field name=${name} label=${label} type=${options.type ?? 'text'} .value=${this.draft[name] ?? ''} hint=${options.hint ?? ''}
      ?required=${options.required ?? false} .options=${choices} .error=${error}
      @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.draft = { ...this.draft, [name]: e.detail.value })}></ap-form-field>`;
  }

  #form() {
    const protocol = this.draft.protocol as Protocol;
    const error = this.#save.error;
    const claimed = ['slug', 'display_name', 'protocol', ...CONFIG_FIELDS[protocol].map((f) => `config.${f.name}`)];
    const unclaimed = error instanceof ApiError ? error.unclaimed(claimed) : [];
    const general = error && (!(error instanceof ApiError) || error.fieldErrors.length === 0) ? error.message : undefined;
    return html`<form id="provider-form" @submit=${this.#submit}>
      ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
      ${unclaimed.map((p) => html`<p class="form-problem" role="alert">${p.field}: ${p.message}</p>`)}
      ${this.#field('display_name', 'Display name', { required: true, hint: 'Shown to users when they connect.' })}
      ${this.#field('slug', 'Slug', { required: true, hint: 'Lower-case letters, digits and dashes; in /connect/<slug>.' })}
      ${this.#field('protocol', 'Protocol', { type: 'select', choices: ['oauth', 'api_key', 'service_account'] })}
      <fieldset>
        <legend>${protocol} settings</legend>
        ${CONFIG_FIELDS[protocol].map((f) => this.#field(f.name, f.label, { type: f.type, hint: f.hint, choices: f.choices, problem: `config.${f.name}` }))}
      </fieldset>
    </form>`;
  }

  #setFilter(name: 'user_id' | 'provider', value: string) {
    this.filter = { ...this.filter, [name]: value.trim() };
    void this.#grants.reload(this.filter);
  }

  override render() {
    const providers = this.#providers;
    const grants = this.#grants;
    const providerColumns: Column<Provider>[] = [
      { key: 'display_name', label: 'Provider', render: (p) => html`<strong>${p.display_name}</strong><br /><code class="muted">${p.slug}</code>` },
      { key: 'protocol', label: 'Protocol', render: (p) => html`<span class="badge">${p.protocol}</span>` },
      { key: 'client_id', label: 'Client id', render: (p) => (typeof p.config.client_id === 'string' ? html`<code>${p.config.client_id}</code>` : html`<span class="muted">—</span>`) },
      {
        key: 'secret',
        label: 'Secret from',
        render: (p) => html`<code>$${String(p.config.client_secret_ref ?? p.config.credential_ref ?? '')}</code>`,
      },
      {
        key: 'actions',
        label: 'Actions',
        render: (p) => html`<div class="actions">
          <button type="button" @click=${() => this.#open(p)} aria-label="Edit ${p.display_name}">Edit</button>
          <button type="button" class="danger" @click=${() => this.#ask('delete', { deleting: p })} aria-label="Delete ${p.display_name}">Delete</button>
        </div>`,
      },
    ];
    const grantColumns: Column<Grant>[] = [
      { key: 'user_id', label: 'User', render: (g) => html`<code>${g.user_id}</code>` },
      { key: 'provider', label: 'Provider', render: (g) => g.provider ?? g.provider_id },
      { key: 'scopes', label: 'Scopes', render: (g) => g.scopes.join(' ') || html`<span class="muted">none</span>` },
      { key: 'access_token_expires_at', label: 'Access token expires', render: (g) => (g.access_token_expires_at ? new Date(g.access_token_expires_at).toLocaleString() : 'never') },
      { key: 'has_refresh_token', label: 'Refresh token', render: (g) => (g.has_refresh_token ? 'yes' : 'no') },
      { key: 'updated_at', label: 'Updated', render: (g) => new Date(g.updated_at).toLocaleString() },
      {
        key: 'actions',
        label: 'Actions',
        render: (g) => html`<button type="button" class="danger" @click=${() => this.#ask('revoke', { revoking: g })}
          aria-label="Revoke the ${g.provider ?? g.provider_id} grant of ${g.user_id}">Revoke</button>`,
      },
    ];
    const refusal = this.#remove.error;
    // A 409 for grants offers the cascade; one for resources that name the provider does not (they must change first).
    const cascade = refusal instanceof ApiError && refusal.status === 409 && /cascade/.test(refusal.detail);
    const filterInput = (name: 'user_id' | 'provider', label: string) => html`<label>${label}
      <input name=${name} .value=${this.filter[name]} @change=${(e: Event) => this.#setFilter(name, (e.target as HTMLInputElement).value)} /></label>`;
    return html`<section>
        <div class="bar"><h1>Broker providers</h1><button type="button" class="primary" @click=${() => this.#open()}>New provider</button></div>
        <ap-data-table label="Broker providers" .columns=${providerColumns} .rows=${providers.items} status=${providers.status} .error=${providers.error}
          ?has-more=${providers.hasMore} empty-heading="No providers" @ap-load-more=${() => providers.loadMore()} @ap-retry=${() => providers.reload()}>
          Add the upstream services (GitHub, Google, Slack…) broker resources get their tokens from.
        </ap-data-table>
      </section>
      <section>
        <div class="bar"><h2>Users' grants</h2>${filterInput('user_id', 'User id')} ${filterInput('provider', 'Provider')}</div>
        <ap-data-table label="Users' grants" .columns=${grantColumns} .rows=${grants.items} status=${grants.status} .error=${grants.error}
          ?has-more=${grants.hasMore} empty-heading="No grants" @ap-load-more=${() => grants.loadMore()} @ap-retry=${() => grants.reload()}>
          Users connect their accounts at /connect/&lt;provider&gt;.
        </ap-data-table>
      </section>
      <ap-dialog id="edit" heading=${this.editing ? `Edit ${this.editing.display_name}` : 'New provider'}>
        ${this.#form()}
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'edit').close('cancel')}>Cancel</button>
          <button type="submit" form="provider-form" class="primary" ?disabled=${this.#save.status === 'loading'}>${this.editing ? 'Save' : 'Create provider'}</button>
        </div>
      </ap-dialog>
      <ap-dialog id="delete" heading=${this.deleting ? `Delete ${this.deleting.display_name}?` : 'Delete'}>
        ${refusal ? html`<p class="form-problem" role="alert">${refusal.message}</p>` : html`<p>Broker resources can no longer name it.</p>`}
        ${cascade ? html`<p>Deleting it anyway revokes those grants first.</p>` : nothing}
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'delete').close('cancel')}>Cancel</button>
          ${cascade
            ? html`<button type="button" class="danger" @click=${() => this.#delete(true)}>Revoke the grants and delete</button>`
            : html`<button type="button" class="danger" @click=${() => this.#delete(false)}>Delete provider</button>`}
        </div>
      </ap-dialog>
      <ap-dialog id="revoke" heading="Revoke this grant?">
        ${this.revoking ? html`<p>${this.revoking.user_id} will have to connect ${this.revoking.provider ?? this.revoking.provider_id} again.</p>` : nothing}
        ${refusal ? html`<p class="form-problem" role="alert">${refusal.message}</p>` : nothing}
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'revoke').close('cancel')}>Cancel</button>
          <button type="button" class="danger" @click=${() => this.#revoke()}>Revoke grant</button>
        </div>
      </ap-dialog>`;
  }
}
define('ap-broker-page', ApBrokerPage);
