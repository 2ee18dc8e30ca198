/**
 * The Clients page: the admin API's clients with status and source filters and cursor paging; create (a secret is
 * shown once, with a copy button), edit, suspend / revoke / reactivate, rotate the secret. Every action is an admin
 * API call, so it is audited as the signed-in operator; a refused field is shown next to that field.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, ListController, api, controls, define, type ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Client {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  token_endpoint_auth_method: string;
  scope: string;
  application_type: string;
  agent: boolean;
  status: 'active' | 'suspended' | 'revoked';
  registration_source: string;
  created_at: string;
  last_used_at: string | null;
  client_secret?: string;
}

interface Draft {
  client_name: string;
  redirect_uris: string;
  scope: string;
  token_endpoint_auth_method: string;
  application_type: string;
  agent: boolean;
  grant_authorization_code: boolean;
  grant_refresh_token: boolean;
  grant_client_credentials: boolean;
}

const GRANTS = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
const FIELDS = ['client_name', 'redirect_uris', 'scope', 'token_endpoint_auth_method', 'application_type', 'agent', 'grant_types'];

const emptyDraft = (): Draft => ({
  client_name: '',
  redirect_uris: '',
  scope: '',
  token_endpoint_auth_method: 'client_secret_basic',
  application_type: 'web',
  agent: false,
  grant_authorization_code: false,
  grant_refresh_token: false,
  grant_client_credentials: true,
});

function draftOf(client: Client): Draft {
  return {
    client_name: client.client_name,
    redirect_uris: client.redirect_uris.join('\n'),
    scope: client.scope,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    application_type: client.application_type,
    agent: client.agent,
    grant_authorization_code: client.grant_types.includes('authorization_code'),
    grant_refresh_token: client.grant_types.includes('refresh_token'),
    grant_client_credentials: client.grant_types.includes('client_credentials'),
  };
}

function bodyOf(draft: Draft, keepGrants: readonly string[] = []) {
  const known = new Set<string>(GRANTS);
  return {
    client_name: draft.client_name,
    redirect_uris: draft.redirect_uris.split(/\s+/).filter(Boolean),
    scope: draft.scope.trim(),
    token_endpoint_auth_method: draft.token_endpoint_auth_method,
    application_type: draft.application_type,
    agent: draft.agent,
    // Grants the form does not show (token exchange, jwt-bearer…) are kept as they are.
    grant_types: [...GRANTS.filter((g) => draft[`grant_${g}`]), ...keepGrants.filter((g) => !known.has(g))],
  };
}

export class ApClientsPage extends LitElement {
  static override properties = { draft: { state: true }, editing: { state: true }, secret: { state: true }, filter: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin-bottom: 16px; }
      .bar h1 { margin: 0 auto 0 0; font-size: 24px; }
      .bar label { display: flex; flex-direction: column; font-size: 13px; color: var(--ap-muted); gap: 2px; }
      .actions { display: flex; flex-wrap: wrap; gap: 6px; }
      .secret { display: flex; gap: 8px; align-items: center; padding: 10px; border: 1px solid var(--ap-warn); border-radius: 8px; margin: 12px 0; }
      .secret code { word-break: break-all; flex: 1; }
      fieldset { border: 1px solid var(--ap-border); border-radius: 8px; margin: 0 0 14px; }
      legend { font-weight: 600; }
      .form-problem { color: var(--ap-danger); margin: 0 0 12px; }
    `,
  ];
  declare draft: Draft;
  declare editing: Client | undefined;
  declare secret: { client: Client; value: string } | undefined;
  declare filter: { status: string; source: string };
  readonly #list = new ListController<Client>(this, { path: '/admin/clients', key: 'clients' });
  readonly #save = new ApiTask<Client>(this);
  readonly #action = new ApiTask<Client>(this);

  constructor() {
    super();
    this.draft = emptyDraft();
    this.filter = { status: '', source: '' };
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#list.reload(this.filter);
  }

  get #dialog(): ApDialog {
    return this.renderRoot.querySelector('ap-dialog')!;
  }

  #open(client?: Client) {
    this.editing = client;
    this.draft = client ? draftOf(client) : emptyDraft();
    this.secret = undefined;
    this.#save.reset();
    void this.#dialog.show();
  }

  #setFilter(name: 'status' | 'source', value: string) {
    this.filter = { ...this.filter, [name]: value };
    void this.#list.reload(this.filter);
  }

  async #submit(event: Event) {
    event.preventDefault();
    const editing = this.editing;
    const body = bodyOf(this.draft, editing?.grant_types);
    const saved = await this.#save.run((signal) =>
      editing
        ? api.patch<Client>(`/admin/clients/${encodeURIComponent(editing.client_id)}`, body, { signal })
        : api.post<Client>('/admin/clients', body, { signal }),
    );
    if (!saved) {
      await this.updateComplete;
      const error = this.#save.error;
      const first = error instanceof ApiError ? error.fieldErrors[0]?.field.split('.')[0] : undefined;
      this.renderRoot.querySelector<HTMLElement>(`ap-form-field[name='${first === 'grant_types' ? 'grant_authorization_code' : first}']`)?.focus();
      return;
    }
    if (editing) this.#list.replace(saved, (a, b) => a.client_id === b.client_id);
    else this.#list.prepend(saved);
    if (saved.client_secret) this.secret = { client: saved, value: saved.client_secret };
    else this.#dialog.close('saved');
    this.editing = saved;
  }

  async #act(client: Client, action: 'suspend' | 'revoke' | 'reactivate' | 'rotate-secret') {
    if ((action === 'revoke' || action === 'rotate-secret') && !confirm(`${action === 'revoke' ? 'Revoke' : 'Rotate the secret of'} ${client.client_name}? This cannot be undone.`)) return;
    const updated = await this.#action.run((signal) => api.post<Client>(`/admin/clients/${encodeURIComponent(client.client_id)}/${action}`, {}, { signal }));
    if (!updated) return;
    this.#list.replace(updated, (a, b) => a.client_id === b.client_id);
    if (updated.client_secret) {
      this.editing = updated;
      this.draft = draftOf(updated);
      this.secret = { client: updated, value: updated.client_secret };
      void this.#dialog.show();
    }
  }

  #field(name: keyof Draft, label: string, options: { type?: string; hint?: string; required?: boolean; problem?: string; choices?: { value: string; label: string }[] } = {}) {
    const error = this.#save.error instanceof ApiError ? this.#save.error.forField(options.problem ?? name) : undefined;
    return html`<ap-form-field name=${name} label=${label} type=${options.type ?? 'text'} .value=${this.draft[name]} hint=${options.hint ?? ''}
      ?required=${options.required ?? false} .options=${options.choices ?? []} .error=${error}
      @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.draft = { ...this.draft, [name]: e.detail.value })}></ap-form-field>`;
  }

  #form() {
    const error = this.#save.error;
    const unclaimed = error instanceof ApiError ? error.unclaimed(FIELDS) : [];
    const general = error && (!(error instanceof ApiError) || error.fieldErrors.length === 0) ? error.message : undefined;
    return html`<form id="client-form" @submit=${this.#submit}>
      ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
      ${unclaimed.map((p) => html`<p class="form-problem" role="alert">${p.field}: ${p.message}</p>`)}
      ${this.#field('client_name', 'Name', { required: true })}
      <fieldset>
        <legend>Grant types</legend>
        ${this.#field('grant_authorization_code', 'authorization_code', { type: 'checkbox', problem: 'grant_types' })}
        ${this.#field('grant_refresh_token', 'refresh_token', { type: 'checkbox', problem: 'none' })}
        ${this.#field('grant_client_credentials', 'client_credentials', { type: 'checkbox', problem: 'none' })}
      </fieldset>
      ${this.#field('token_endpoint_auth_method', 'Client authentication', {
        type: 'select',
        choices: ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'].map((v) => ({ value: v, label: v })),
      })}
      ${this.#field('redirect_uris', 'Redirect URIs', { type: 'textarea', hint: 'One per line; needed with authorization_code.' })}
      ${this.#field('scope', 'Scope', { hint: 'Space-separated ceiling; may be empty.' })}
      ${this.#field('application_type', 'Application type', { type: 'select', choices: [{ value: 'web', label: 'web' }, { value: 'native', label: 'native' }] })}
      ${this.#field('agent', 'AI agent (tokens carry agent_id)', { type: 'checkbox' })}
    </form>`;
  }

  #secretView(secret: { client: Client; value: string }) {
    return html`<p><strong>${secret.client.client_name}</strong> — client id <code>${secret.client.client_id}</code></p>
      <p>Copy the client secret now: it is shown this once and cannot be shown again, only rotated.</p>
      <div class="secret"><code data-testid="client-secret">${secret.value}</code><ap-copy-button .value=${secret.value} label="Copy secret"></ap-copy-button></div>`;
  }

  override render() {
    const list = this.#list;
    const columns: Column<Client>[] = [
      { key: 'client_name', label: 'Name', render: (c) => html`<strong>${c.client_name}</strong>${c.agent ? html` <span class="badge">agent</span>` : nothing}<br /><code class="muted">${c.client_id}</code>` },
      { key: 'status', label: 'Status', render: (c) => html`<span class="badge ${c.status}">${c.status}</span>` },
      { key: 'grant_types', label: 'Grants', render: (c) => c.grant_types.join(', ') },
      { key: 'registration_source', label: 'Source' },
      { key: 'last_used_at', label: 'Last used', render: (c) => (c.last_used_at ? new Date(c.last_used_at).toLocaleString() : 'never') },
      {
        key: 'actions',
        label: 'Actions',
        render: (c) => html`<div class="actions">
          ${c.status !== 'revoked' ? html`<button type="button" @click=${() => this.#open(c)} aria-label="Edit ${c.client_name}">Edit</button>` : nothing}
          ${c.status === 'active' ? html`<button type="button" @click=${() => this.#act(c, 'suspend')} aria-label="Suspend ${c.client_name}">Suspend</button>` : nothing}
          ${c.status === 'suspended' ? html`<button type="button" @click=${() => this.#act(c, 'reactivate')} aria-label="Reactivate ${c.client_name}">Reactivate</button>` : nothing}
          ${c.status !== 'revoked' && c.token_endpoint_auth_method.startsWith('client_secret')
            ? html`<button type="button" @click=${() => this.#act(c, 'rotate-secret')} aria-label="Rotate secret of ${c.client_name}">Rotate secret</button>`
            : nothing}
          ${c.status !== 'revoked' ? html`<button type="button" class="danger" @click=${() => this.#act(c, 'revoke')} aria-label="Revoke ${c.client_name}">Revoke</button>` : nothing}
        </div>`,
      },
    ];
    const choice = (name: 'status' | 'source', label: string, values: string[]) => html`<label>${label}
      <select name=${name} @change=${(e: Event) => this.#setFilter(name, (e.target as HTMLSelectElement).value)}>
        <option value="">any</option>${values.map((v) => html`<option value=${v} ?selected=${this.filter[name] === v}>${v}</option>`)}
      </select></label>`;
    const secret = this.secret;
    return html`<div class="bar">
        <h1>Clients</h1>
        ${choice('status', 'Status', ['active', 'suspended', 'revoked'])} ${choice('source', 'Source', ['admin', 'dcr', 'cimd'])}
        <button type="button" class="primary" @click=${() => this.#open()}>New client</button>
      </div>
      ${this.#action.status === 'error' ? html`<ap-error-state .error=${this.#action.error}></ap-error-state>` : nothing}
      <ap-data-table label="Clients" .columns=${columns} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No clients" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        Create one with “New client”, or let MCP clients register themselves (dynamic registration).
      </ap-data-table>
      <ap-dialog heading=${secret ? 'Client secret' : this.editing ? `Edit ${this.editing.client_name}` : 'New client'}
        @ap-close=${() => (this.secret = undefined)}>
        ${secret ? this.#secretView(secret) : this.#form()}
        <div slot="actions">
          ${secret
            ? html`<button type="button" class="primary" @click=${() => this.#dialog.close('done')}>Done</button>`
            : html`<button type="button" @click=${() => this.#dialog.close('cancel')}>Cancel</button>
                <button type="submit" form="client-form" class="primary" ?disabled=${this.#save.status === 'loading'}>
                  ${this.editing ? 'Save' : 'Create client'}</button>`}
        </div>
      </ap-dialog>`;
  }
}
define('ap-clients-page', ApClientsPage);
