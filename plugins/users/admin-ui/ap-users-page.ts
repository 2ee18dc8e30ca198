/**
 * The Users page: the user list (paged), create (email, name, password, role), disable / enable; and one user's
 * view (`#/users/<id>`): change role, force logout, their consents (revocable), their issued tokens and their linked
 * identities (link, unlink). Consents, logout and tokens are other plugins' endpoints (oauth, issuances): when one
 * is not enabled (404), its section says so instead of failing.
 */
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { ApiError, ApiTask, ListController, api, controls, define, type ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface User {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'user';
  status: 'active' | 'disabled';
  provider: string;
  created_at: string;
  last_login_at: string | null;
}

interface Consent { id: string; client_id: string; resource: string | null; scopes: string[]; updated_at: string }
interface Grants { consents: Consent[]; refresh_families: { id: string; client_id: string; resource: string | null; expires_at: string }[] }
interface Identity { provider: string; subject: string; created_at: string }
interface Issuance { jti: string; client_id: string; audience: string[]; issued_at: string; status: string }

/** A section whose endpoint belongs to a plugin that may be absent: its rows, or `null` when not enabled. */
async function optional<T>(load: () => Promise<T>): Promise<T | null> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');
const NOT_ENABLED = (what: string, plugin: string) => html`<p class="muted" data-testid="not-enabled">${what} is not enabled on this server (plugin <code>${plugin}</code>).</p>`;
const FIELDS = ['email', 'name', 'password', 'role'];

export class ApUsersPage extends LitElement {
  static override properties = { route: { type: String }, draft: { state: true }, link: { state: true }, role: { state: true }, notice: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin-bottom: 16px; }
      .bar h1 { margin: 0 auto 0 0; font-size: 24px; }
      h2 { font-size: 18px; margin: 24px 0 8px; }
      .actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 0; }
      dt { color: var(--ap-muted); }
      dd { margin: 0; }
      form.inline { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; }
      form.inline ap-form-field { margin: 0; }
      .form-problem { color: var(--ap-danger); }
    `,
  ];
  declare route: string;
  declare draft: { email: string; name: string; password: string; role: string };
  declare link: { provider: string; subject: string };
  declare role: string;
  declare notice: string;
  readonly #list = new ListController<User>(this, { path: '/admin/users', key: 'users' });
  readonly #save = new ApiTask<User>(this);
  readonly #action = new ApiTask<unknown>(this);
  readonly #detail = new ApiTask<{ user: User; grants: Grants | null; identities: Identity[]; issuances: Issuance[] | null }>(this);
  readonly #linkTask = new ApiTask<unknown>(this);

  constructor() {
    super();
    this.route = '';
    this.draft = { email: '', name: '', password: '', role: 'user' };
    this.link = { provider: '', subject: '' };
    this.role = 'user';
    this.notice = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    if (!this.route) void this.#list.reload();
  }

  override willUpdate(changed: Map<string, unknown>) {
    if (changed.has('route') && this.isConnected) {
      this.notice = '';
      if (this.route) void this.#loadDetail(this.route);
      else if (changed.get('route') !== undefined) void this.#list.reload();
    }
  }

  #loadDetail(id: string) {
    return this.#detail.run(async (signal) => {
      const path = `/admin/users/${encodeURIComponent(id)}`;
      const user = await api.get<User>(path, { signal });
      const [grants, identities, issuances] = await Promise.all([
        optional(() => api.get<Grants>(`${path}/grants`, { signal })),
        api.get<{ identities: Identity[] }>(`${path}/identities`, { signal }).then((r) => r.identities),
        optional(async () => (await api.list<Issuance>('/admin/issuances', 'issuances', { query: { user: user.id }, limit: 100, signal })).items),
      ]);
      this.role = user.role;
      return { user, grants, identities, issuances };
    });
  }

  get #dialog(): ApDialog {
    return this.renderRoot.querySelector('ap-dialog')!;
  }

  async #create(event: Event) {
    event.preventDefault();
    const created = await this.#save.run((signal) => api.post<User>('/admin/users', this.draft, { signal }));
    if (!created) return;
    this.#list.prepend(created);
    this.#dialog.close('saved');
    this.draft = { email: '', name: '', password: '', role: 'user' };
  }

  /** One action on the user, then the view (list row or detail) refreshed from the answer. */
  async #act(user: User, work: (signal: AbortSignal) => Promise<unknown>, notice: string, confirmText?: string) {
    if (confirmText && !confirm(confirmText)) return;
    const done = await this.#action.run(work);
    if (done === undefined && this.#action.status === 'error') return;
    this.notice = notice;
    if (this.route) await this.#loadDetail(user.id);
    else if (done && typeof done === 'object' && 'id' in done) this.#list.replace(done as User, (a, b) => a.id === b.id);
  }

  #transition(user: User) {
    const to = user.status === 'active' ? 'disable' : 'enable';
    return this.#act(user, (signal) => api.post<User>(`/admin/users/${user.id}/${to}`, {}, { signal }), `${user.email} ${to}d.`,
      to === 'disable' ? `Disable ${user.email}? They can no longer sign in.` : undefined);
  }

  #forceLogout(user: User) {
    return this.#act(
      user,
      async (signal) => {
        const r = await optional(() => api.delete(`/admin/users/${user.id}/tokens`, { signal }).then(() => true));
        if (r === null) throw new ApiError(404, 'Not enabled', 'force logout needs the oauth plugin, which is not enabled');
        return r;
      },
      `${user.email} was logged out everywhere: refresh tokens and sessions revoked.`,
      `Log ${user.email} out everywhere? Their refresh tokens, sessions and the access tokens resting on them are revoked.`,
    );
  }

  #field(name: keyof ApUsersPage['draft'], label: string, type = 'text', options: { value: string; label: string }[] = []) {
    const error = this.#save.error instanceof ApiError ? this.#save.error.forField(name) : undefined;
    return html`<ap-form-field name=${name} label=${label} type=${type} required .value=${this.draft[name]} .options=${options} .error=${error}
      @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.draft = { ...this.draft, [name]: String(e.detail.value) })}></ap-form-field>`;
  }

  #createDialog() {
    const error = this.#save.error;
    const general = error && (!(error instanceof ApiError) || error.fieldErrors.length === 0) ? error.message : undefined;
    const unclaimed = error instanceof ApiError ? error.unclaimed(FIELDS) : [];
    return html`<ap-dialog heading="New user">
      <form id="user-form" @submit=${this.#create}>
        ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
        ${unclaimed.map((p) => html`<p class="form-problem" role="alert">${p.field}: ${p.message}</p>`)}
        ${this.#field('email', 'Email', 'text')} ${this.#field('name', 'Name')} ${this.#field('password', 'Password', 'password')}
        ${this.#field('role', 'Role', 'select', [{ value: 'user', label: 'user' }, { value: 'admin', label: 'admin' }])}
      </form>
      <div slot="actions">
        <button type="button" @click=${() => this.#dialog.close('cancel')}>Cancel</button>
        <button type="submit" form="user-form" class="primary" ?disabled=${this.#save.status === 'loading'}>Create user</button>
      </div>
    </ap-dialog>`;
  }

  #listView() {
    const list = this.#list;
    const columns: Column<User>[] = [
      { key: 'email', label: 'User', render: (u) => html`<a href="#/users/${u.id}"><strong>${u.name}</strong></a><br /><span class="muted">${u.email}</span>` },
      { key: 'role', label: 'Role', render: (u) => (u.role === 'admin' ? html`<span class="badge">admin</span>` : 'user') },
      { key: 'status', label: 'Status', render: (u) => html`<span class="badge ${u.status === 'active' ? 'active' : 'revoked'}">${u.status}</span>` },
      { key: 'provider', label: 'Signs in with' },
      { key: 'last_login_at', label: 'Last login', render: (u) => when(u.last_login_at) },
      {
        key: 'actions',
        label: 'Actions',
        render: (u) => html`<div class="actions">
          <button type="button" @click=${() => this.#transition(u)} aria-label="${u.status === 'active' ? 'Disable' : 'Enable'} ${u.email}">${u.status === 'active' ? 'Disable' : 'Enable'}</button>
        </div>`,
      },
    ];
    return html`<div class="bar">
        <h1>Users</h1>
        <button type="button" class="primary" @click=${() => { this.#save.error = undefined; void this.#dialog.show(); }}>New user</button>
      </div>
      ${this.#feedback()}
      <ap-data-table label="Users" .columns=${columns} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No users" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        Create one with “New user”, or let federated sign-in create them.
      </ap-data-table>
      ${this.#createDialog()}`;
  }

  #feedback(): TemplateResult | typeof nothing {
    if (this.#action.status === 'error') return html`<ap-error-state .error=${this.#action.error}></ap-error-state>`;
    return this.notice ? html`<p role="status">${this.notice}</p>` : nothing;
  }

  #section<T>(title: string, rows: T[] | null, plugin: string, columns: Column<T>[], empty: string) {
    return html`<h2>${title}</h2>
      ${rows === null ? NOT_ENABLED(title, plugin) : html`<ap-data-table label=${title} .columns=${columns} .rows=${rows} status="ok" empty-heading=${empty}></ap-data-table>`}`;
  }

  async #linkIdentity(user: User, event: Event) {
    event.preventDefault();
    const ok = await this.#linkTask.run((signal) => api.post(`/admin/users/${user.id}/identities`, this.link, { signal }));
    if (ok === undefined) return;
    this.link = { provider: '', subject: '' };
    this.notice = 'Identity linked.';
    await this.#loadDetail(user.id);
  }

  #detailView() {
    const task = this.#detail;
    const value = task.value;
    if (task.status === 'error') return html`<p><a href="#/users">← Users</a></p><ap-error-state .error=${task.error} retry @ap-retry=${() => this.#loadDetail(this.route)}></ap-error-state>`;
    if (!value || value.user.id !== this.route && value.user.email !== this.route) return html`<ap-loading label="Loading the user…"></ap-loading>`;
    const { user, grants, identities, issuances } = value;
    const linkError = this.#linkTask.error instanceof ApiError ? this.#linkTask.error : undefined;
    return html`<p><a href="#/users">← Users</a></p>
      <div class="bar">
        <h1>${user.name}</h1>
        <button type="button" @click=${() => this.#transition(user)}>${user.status === 'active' ? 'Disable' : 'Enable'}</button>
        <button type="button" class="danger" @click=${() => this.#forceLogout(user)}>Force logout</button>
      </div>
      ${this.#feedback()}
      <dl>
        <dt>Email</dt><dd>${user.email}</dd>
        <dt>Id</dt><dd><code>${user.id}</code></dd>
        <dt>Status</dt><dd><span class="badge ${user.status === 'active' ? 'active' : 'revoked'}" data-testid="user-status">${user.status}</span></dd>
        <dt>Signs in with</dt><dd>${user.provider}</dd>
        <dt>Created</dt><dd>${when(user.created_at)}</dd>
        <dt>Last login</dt><dd>${when(user.last_login_at)}</dd>
      </dl>
      <h2>Role</h2>
      <form class="inline" @submit=${(e: Event) => {
        e.preventDefault();
        void this.#act(user, (signal) => api.patch<User>(`/admin/users/${user.id}`, { role: this.role }, { signal }), `Role changed to ${this.role}.`);
      }}>
        <ap-form-field name="role" label="Role" type="select" .value=${this.role} .options=${[{ value: 'user', label: 'user' }, { value: 'admin', label: 'admin (may use the console)' }]}
          @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.role = String(e.detail.value))}></ap-form-field>
        <button type="submit" ?disabled=${this.role === user.role}>Change role</button>
      </form>
      ${this.#section<Consent>('Consents', grants?.consents ?? null, 'oauth', [
        { key: 'client_id', label: 'Client', render: (c) => html`<code>${c.client_id}</code>` },
        { key: 'resource', label: 'Resource' },
        { key: 'scopes', label: 'Scopes', render: (c) => c.scopes.join(' ') || '—' },
        { key: 'updated_at', label: 'Granted', render: (c) => when(c.updated_at) },
        {
          key: 'actions',
          label: 'Actions',
          render: (c) => html`<button type="button" class="danger" aria-label="Revoke consent of ${c.client_id}" @click=${() =>
            this.#act(user, (signal) => api.delete(`/admin/grants/consent/${encodeURIComponent(c.id)}`, { signal }).then(() => true), 'Consent revoked, with the tokens resting on it.',
              `Revoke the consent of ${c.client_id}? Its refresh and access tokens are revoked; the client must ask again.`)}>Revoke</button>`,
        },
      ], 'No consents')}
      ${this.#section<Issuance>('Tokens', issuances, 'issuances', [
        { key: 'issued_at', label: 'Issued', render: (i) => when(i.issued_at) },
        { key: 'client_id', label: 'Client', render: (i) => html`<code>${i.client_id}</code>` },
        { key: 'audience', label: 'Audience', render: (i) => i.audience.join(', ') },
        { key: 'status', label: 'Status', render: (i) => html`<span class="badge ${i.status === 'expired' ? 'suspended' : i.status}">${i.status}</span>` },
        { key: 'jti', label: 'jti', render: (i) => html`<code>${i.jti}</code>` },
      ], 'No tokens')}
      ${this.#section<Identity>('Linked identities', identities, 'users', [
        { key: 'provider', label: 'Provider' },
        { key: 'subject', label: 'Subject', render: (i) => html`<code>${i.subject}</code>` },
        { key: 'created_at', label: 'Linked', render: (i) => when(i.created_at) },
        {
          key: 'actions',
          label: 'Actions',
          render: (i) => html`<button type="button" aria-label="Unlink ${i.provider} ${i.subject}" @click=${() =>
            this.#act(user, (signal) => api.delete(`/admin/users/${user.id}/identities/${encodeURIComponent(i.provider)}/${encodeURIComponent(i.subject)}`, { signal }).then(() => true),
              'Identity unlinked.', `Unlink ${i.subject} of ${i.provider}? That login no longer reaches ${user.email}.`)}>Unlink</button>`,
        },
      ], 'No linked identities')}
      <form class="inline" @submit=${(e: Event) => this.#linkIdentity(user, e)} aria-label="Link an identity">
        <ap-form-field name="provider" label="Provider" .value=${this.link.provider} .error=${linkError?.forField('provider')}
          @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.link = { ...this.link, provider: String(e.detail.value) })}></ap-form-field>
        <ap-form-field name="subject" label="Subject (sub)" .value=${this.link.subject} .error=${linkError?.forField('subject')}
          @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.link = { ...this.link, subject: String(e.detail.value) })}></ap-form-field>
        <button type="submit">Link identity</button>
      </form>
      ${linkError && !linkError.fieldErrors.length ? html`<p class="form-problem" role="alert">${linkError.message}</p>` : nothing}`;
  }

  override render() {
    return this.route ? this.#detailView() : this.#listView();
  }
}
define('ap-users-page', ApUsersPage);
