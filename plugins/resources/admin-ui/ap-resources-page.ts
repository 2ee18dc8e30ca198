/**
 * The Resources page: the protected resources (MCP servers) with the metadata URL to give each one (copy button);
 * create and edit a resource — Mint or Broker backend, its scope catalog (name, description, upstream scopes of a
 * broker resource) and its policy lists — and delete one, showing the records that still refer to it (409) with the
 * choice of deleting them too. Every action is an admin API call; a refused field is shown next to that field.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, ListController, api, controls, define, ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Scope {
  name: string;
  description?: string;
  upstream?: string[];
}

interface Resource {
  id: string;
  slug: string;
  display_name: string;
  uri: string;
  backend_kind: 'mint' | 'broker';
  broker_provider_id: string | null;
  scopes: Scope[];
  policy: { exchange?: { allowed_client_ids: string[] }; runtime?: { client_ids: string[] }; connect?: { allowed_return_urls: string[] } };
  metadata_url: string;
}

interface ScopeDraft {
  name: string;
  description: string;
  upstream: string;
}

interface Draft {
  slug: string;
  display_name: string;
  uri: string;
  backend_kind: string;
  broker_provider_id: string;
  scopes: ScopeDraft[];
  exchange: string;
  runtime: string;
  connect: string;
}

const FIELDS = ['slug', 'display_name', 'uri', 'backend_kind', 'broker_provider_id', 'scopes', 'policy'];
const lines = (text: string) => text.split(/\s+/).filter(Boolean);

const emptyDraft = (): Draft => ({ slug: '', display_name: '', uri: '', backend_kind: 'mint', broker_provider_id: '', scopes: [], exchange: '', runtime: '', connect: '' });

function draftOf(r: Resource): Draft {
  return {
    slug: r.slug,
    display_name: r.display_name,
    uri: r.uri,
    backend_kind: r.backend_kind,
    broker_provider_id: r.broker_provider_id ?? '',
    scopes: r.scopes.map((s) => ({ name: s.name, description: s.description ?? '', upstream: (s.upstream ?? []).join(' ') })),
    exchange: (r.policy.exchange?.allowed_client_ids ?? []).join('\n'),
    runtime: (r.policy.runtime?.client_ids ?? []).join('\n'),
    connect: (r.policy.connect?.allowed_return_urls ?? []).join('\n'),
  };
}

function bodyOf(d: Draft) {
  const broker = d.backend_kind === 'broker';
  return {
    slug: d.slug.trim(),
    display_name: d.display_name,
    uri: d.uri.trim(),
    backend_kind: d.backend_kind,
    broker_provider_id: broker ? d.broker_provider_id.trim() || null : null,
    scopes: d.scopes.map((s) => ({
      name: s.name.trim(),
      ...(s.description.trim() ? { description: s.description.trim() } : {}),
      ...(broker && lines(s.upstream).length ? { upstream: lines(s.upstream) } : {}),
    })),
    policy: {
      exchange: { allowed_client_ids: lines(d.exchange) },
      runtime: { client_ids: lines(d.runtime) },
      connect: { allowed_return_urls: lines(d.connect) },
    },
  };
}

export class ApResourcesPage extends LitElement {
  static override properties = { draft: { state: true }, editing: { state: true }, deleting: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; gap: 12px; align-items: end; margin-bottom: 16px; }
      .bar h1 { margin: 0 auto 0 0; font-size: 24px; }
      .actions, .prm { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
      .prm code { word-break: break-all; }
      fieldset { border: 1px solid var(--ap-border); border-radius: 8px; margin: 0 0 14px; }
      legend { font-weight: 600; }
      .scope { border-bottom: 1px solid var(--ap-border); margin-bottom: 10px; }
      .form-problem { color: var(--ap-danger); margin: 0 0 12px; }
    `,
  ];
  declare draft: Draft;
  declare editing: Resource | undefined;
  declare deleting: Resource | undefined;
  readonly #list = new ListController<Resource>(this, { path: '/admin/resources', key: 'resources' });
  readonly #save = new ApiTask<Resource>(this);
  readonly #remove = new ApiTask<void>(this);

  constructor() {
    super();
    this.draft = emptyDraft();
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#list.reload();
  }


  #open(resource?: Resource) {
    this.editing = resource;
    this.draft = resource ? draftOf(resource) : emptyDraft();
    this.#save.reset();
    void ApDialog.in(this.renderRoot, 'edit').show();
  }

  #set(patch: Partial<Draft>) {
    this.draft = { ...this.draft, ...patch };
  }

  #setScope(index: number, patch: Partial<ScopeDraft>) {
    this.#set({ scopes: this.draft.scopes.map((s, i) => (i === index ? { ...s, ...patch } : s)) });
  }

  async #submit(event: Event) {
    event.preventDefault();
    const editing = this.editing;
    const body = bodyOf(this.draft);
    const saved = await this.#save.run((signal) =>
      editing ? api.patch<Resource>(`/admin/resources/${encodeURIComponent(editing.id)}`, body, { signal }) : api.post<Resource>('/admin/resources', body, { signal }),
    );
    if (!saved) {
      await this.updateComplete;
      const error = this.#save.error;
      const first = error instanceof ApiError ? error.fieldErrors[0]?.field : undefined;
      if (first) this.renderRoot.querySelector<HTMLElement>(`ap-form-field[name='${first.split('.').slice(0, first.startsWith('scopes.') ? 3 : 1).join('.')}']`)?.focus();
      return;
    }
    // Another resource's metadata URL can change with this one (a path now shared): read the list again.
    void this.#list.reload();
    ApDialog.in(this.renderRoot, 'edit').close('saved');
  }

  #askDelete(resource: Resource) {
    this.deleting = resource;
    this.#remove.reset();
    void ApDialog.in(this.renderRoot, 'delete').show();
  }

  async #delete(cascade: boolean) {
    const target = this.deleting!;
    await this.#remove.run((signal) => api.delete(`/admin/resources/${encodeURIComponent(target.id)}`, { signal, query: cascade ? { cascade: true } : undefined }));
    if (this.#remove.status !== 'ok') return;
    ApDialog.in(this.renderRoot, 'delete').close('deleted');
    void this.#list.reload();
  }

  #field(name: keyof Draft | string, label: string, value: string, set: (v: string) => void, options: { type?: string; hint?: string; required?: boolean; choices?: string[]; problem?: string } = {}) {
    const error = this.#save.error instanceof ApiError ? this.#save.error.forField(options.problem ?? name) : undefined;
    return html`<ap-form-field name=${name} label=${label} type=${options.type ?? 'text'} .value=${value} hint=${options.hint ?? ''}
      ?required=${options.required ?? false} .options=${(options.choices ?? []).map((v) => ({ value: v, label: v }))} .error=${error}
      @ap-change=${(e: CustomEvent<{ value: string }>) => set(e.detail.value)}></ap-form-field>`;
  }

  #scopes() {
    const broker = this.draft.backend_kind === 'broker';
    const error = this.#save.error instanceof ApiError ? this.#save.error.fieldErrors.find((e) => e.field === 'scopes') : undefined;
    return html`<fieldset>
      <legend>Scope catalog</legend>
      ${error ? html`<p class="form-problem" role="alert">${error.message}</p>` : nothing}
      ${this.draft.scopes.map(
        (s, i) => html`<div class="scope">
          ${this.#field(`scopes.${i}.name`, `Scope ${i + 1} name`, s.name, (v) => this.#setScope(i, { name: v }), { required: true })}
          ${this.#field(`scopes.${i}.description`, `Scope ${i + 1} description`, s.description, (v) => this.#setScope(i, { description: v }), { hint: 'Shown on the consent screen.' })}
          ${broker ? this.#field(`scopes.${i}.upstream`, `Scope ${i + 1} upstream scopes`, s.upstream, (v) => this.#setScope(i, { upstream: v }), { hint: 'Space-separated provider scopes.' }) : nothing}
          <p><button type="button" class="danger" @click=${() => this.#set({ scopes: this.draft.scopes.filter((_, j) => j !== i) })}
            aria-label="Remove scope ${i + 1}">Remove</button></p>
        </div>`,
      )}
      <button type="button" @click=${() => this.#set({ scopes: [...this.draft.scopes, { name: '', description: '', upstream: '' }] })}>Add scope</button>
    </fieldset>`;
  }

  #form() {
    const d = this.draft;
    const error = this.#save.error;
    const unclaimed = error instanceof ApiError ? error.unclaimed(FIELDS) : [];
    const general = error && (!(error instanceof ApiError) || error.fieldErrors.length === 0) ? error.message : undefined;
    return html`<form id="resource-form" @submit=${this.#submit}>
      ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
      ${unclaimed.map((p) => html`<p class="form-problem" role="alert">${p.field}: ${p.message}</p>`)}
      ${this.#field('display_name', 'Display name', d.display_name, (v) => this.#set({ display_name: v }), { required: true, hint: 'Shown on the consent screen.' })}
      ${this.#field('slug', 'Slug', d.slug, (v) => this.#set({ slug: v }), { required: true, hint: 'Lower-case letters, digits and dashes.' })}
      ${this.#field('uri', 'Resource URI', d.uri, (v) => this.#set({ uri: v }), { type: 'url', required: true, hint: "The MCP server's URL: the tokens' audience." })}
      ${this.#field('backend_kind', 'Backend', d.backend_kind, (v) => this.#set({ backend_kind: v }), { type: 'select', choices: ['mint', 'broker'], hint: 'mint: this server issues its tokens; broker: they come from an upstream provider.' })}
      ${d.backend_kind === 'broker' ? this.#field('broker_provider_id', 'Broker provider', d.broker_provider_id, (v) => this.#set({ broker_provider_id: v }), { required: true, hint: "The provider's slug." }) : nothing}
      ${this.#scopes()}
      <fieldset>
        <legend>Policy</legend>
        ${this.#field('exchange', 'Clients allowed to exchange tokens for it', d.exchange, (v) => this.#set({ exchange: v }), { type: 'textarea', problem: 'policy.exchange', hint: 'Client ids, one per line.' })}
        ${this.#field('runtime', 'Clients the resource runs as', d.runtime, (v) => this.#set({ runtime: v }), { type: 'textarea', problem: 'policy.runtime', hint: 'Client ids, one per line.' })}
        ${this.#field('connect', 'Connect return URLs', d.connect, (v) => this.#set({ connect: v }), { type: 'textarea', problem: 'policy.connect', hint: 'URLs a connect flow may return to, one per line.' })}
      </fieldset>
    </form>`;
  }

  override render() {
    const list = this.#list;
    const columns: Column<Resource>[] = [
      { key: 'display_name', label: 'Resource', render: (r) => html`<strong>${r.display_name}</strong><br /><code class="muted">${r.slug}</code>` },
      { key: 'backend_kind', label: 'Backend', render: (r) => html`<span class="badge">${r.backend_kind}</span>${r.broker_provider_id ? html` ${r.broker_provider_id}` : nothing}` },
      { key: 'uri', label: 'URI', render: (r) => html`<code>${r.uri}</code>` },
      { key: 'scopes', label: 'Scopes', render: (r) => r.scopes.map((s) => s.name).join(' ') || html`<span class="muted">none</span>` },
      {
        key: 'metadata_url',
        label: 'PRM URL for the MCP server',
        render: (r) => html`<div class="prm"><code data-testid="prm-url">${r.metadata_url}</code>
          <ap-copy-button .value=${r.metadata_url} label="Copy the metadata URL of ${r.display_name}"></ap-copy-button></div>`,
      },
      {
        key: 'actions',
        label: 'Actions',
        render: (r) => html`<div class="actions">
          <button type="button" @click=${() => this.#open(r)} aria-label="Edit ${r.display_name}">Edit</button>
          <button type="button" class="danger" @click=${() => this.#askDelete(r)} aria-label="Delete ${r.display_name}">Delete</button>
        </div>`,
      },
    ];
    const deleting = this.deleting;
    const refusal = this.#remove.error;
    const blocked = refusal instanceof ApiError && refusal.status === 409;
    return html`<div class="bar"><h1>Resources</h1><button type="button" class="primary" @click=${() => this.#open()}>New resource</button></div>
      <ap-data-table label="Resources" .columns=${columns} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No resources" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        Register the MCP servers this server issues tokens for.
      </ap-data-table>
      <ap-dialog id="edit" heading=${this.editing ? `Edit ${this.editing.display_name}` : 'New resource'}>
        ${this.#form()}
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'edit').close('cancel')}>Cancel</button>
          <button type="submit" form="resource-form" class="primary" ?disabled=${this.#save.status === 'loading'}>${this.editing ? 'Save' : 'Create resource'}</button>
        </div>
      </ap-dialog>
      <ap-dialog id="delete" heading=${deleting ? `Delete ${deleting.display_name}?` : 'Delete'}>
        ${blocked
          ? html`<p class="form-problem" role="alert" data-testid="dependents">${refusal.detail}</p>
              <p>Deleting it anyway removes those records too.</p>`
          : refusal
            ? html`<p class="form-problem" role="alert">${refusal.message}</p>`
            : html`<p>Tokens for <code>${deleting?.uri}</code> can no longer be issued once it is deleted.</p>`}
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'delete').close('cancel')}>Cancel</button>
          ${blocked
            ? html`<button type="button" class="danger" @click=${() => this.#delete(true)}>Delete it and its dependents</button>`
            : html`<button type="button" class="danger" @click=${() => this.#delete(false)}>Delete</button>`}
        </div>
      </ap-dialog>`;
  }
}
define('ap-resources-page', ApResourcesPage);
