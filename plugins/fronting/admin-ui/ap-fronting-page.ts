/**
 * The Fronting links page: which resource (a gateway) may exchange its tokens for tokens of another, and which
 * source scope stands for which target scopes; create a link (a cycle or an unknown scope is refused next to its
 * field) and delete one.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, ListController, api, controls, define, ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Link {
  id: string;
  source_resource_id: string;
  source_slug: string | null;
  target_resource_id: string;
  target_slug: string | null;
  scope_map: Record<string, string[]>;
  created_at: string;
  created_by: string;
}

interface Draft {
  source: string;
  target: string;
  scope_map: string;
}

const FIELDS = ['source', 'target', 'scope_map'];

/** `files:read = docs:read docs:list`, one source scope a line. */
function scopeMapOf(text: string): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const [source, targets = ''] = line.split('=');
    if (source?.trim()) map[source.trim()] = targets.split(/\s+/).filter(Boolean);
  }
  return map;
}

const nameOf = (slug: string | null, id: string) => slug ?? id;

export class ApFrontingPage extends LitElement {
  static override properties = { draft: { state: true }, deleting: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; gap: 12px; align-items: end; margin-bottom: 16px; }
      .bar h1 { margin: 0 auto 0 0; font-size: 24px; }
      ul { margin: 0; padding-left: 18px; }
      .form-problem { color: var(--ap-danger); margin: 0 0 12px; }
    `,
  ];
  declare draft: Draft;
  declare deleting: Link | undefined;
  readonly #list = new ListController<Link>(this, { path: '/admin/fronting', key: 'links' });
  readonly #save = new ApiTask<Link>(this);
  readonly #remove = new ApiTask<void>(this);

  constructor() {
    super();
    this.draft = { source: '', target: '', scope_map: '' };
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#list.reload();
  }


  #open() {
    this.draft = { source: '', target: '', scope_map: '' };
    this.#save.reset();
    void ApDialog.in(this.renderRoot, 'create').show();
  }

  async #submit(event: Event) {
    event.preventDefault();
    const body = { source: this.draft.source.trim(), target: this.draft.target.trim(), scope_map: scopeMapOf(this.draft.scope_map) };
    const link = await this.#save.run((signal) => api.post<Link>('/admin/fronting', body, { signal }));
    if (!link) return;
    this.#list.prepend(link);
    ApDialog.in(this.renderRoot, 'create').close('saved');
  }

  #askDelete(link: Link) {
    this.deleting = link;
    this.#remove.reset();
    void ApDialog.in(this.renderRoot, 'delete').show();
  }

  async #delete() {
    const link = this.deleting!;
    await this.#remove.run((signal) => api.delete(`/admin/fronting/${encodeURIComponent(link.id)}`, { signal }));
    if (this.#remove.status !== 'ok') return;
    ApDialog.in(this.renderRoot, 'delete').close('deleted');
    void this.#list.reload();
  }

  #field(name: keyof Draft, label: string, options: { type?: string; hint?: string } = {}) {
    const error = this.#save.error instanceof ApiError ? this.#save.error.forField(name) : undefined;
    return html`<ap-form-field name=${name} label=${label} type=${options.type ?? 'text'} .value=${this.draft[name]} hint=${options.hint ?? ''}
      required .error=${error} @ap-change=${(e: CustomEvent<{ value: string }>) => (this.draft = { ...this.draft, [name]: e.detail.value })}></ap-form-field>`;
  }

  override render() {
    const list = this.#list;
    const columns: Column<Link>[] = [
      { key: 'source', label: 'Source (gateway)', render: (l) => html`<strong>${nameOf(l.source_slug, l.source_resource_id)}</strong>` },
      { key: 'target', label: 'Target', render: (l) => html`<strong>${nameOf(l.target_slug, l.target_resource_id)}</strong>` },
      {
        key: 'scope_map',
        label: 'Scopes',
        render: (l) => html`<ul>${Object.entries(l.scope_map).map(([from, to]) => html`<li><code>${from}</code> → <code>${to.join(' ')}</code></li>`)}</ul>`,
      },
      { key: 'created_at', label: 'Created', render: (l) => html`${new Date(l.created_at).toLocaleString()}<br /><span class="muted">${l.created_by}</span>` },
      {
        key: 'actions',
        label: 'Actions',
        render: (l) => html`<button type="button" class="danger" @click=${() => this.#askDelete(l)}
          aria-label="Delete the link ${nameOf(l.source_slug, l.source_resource_id)} to ${nameOf(l.target_slug, l.target_resource_id)}">Delete</button>`,
      },
    ];
    const error = this.#save.error;
    const unclaimed = error instanceof ApiError ? error.unclaimed(FIELDS) : [];
    const general = error && (!(error instanceof ApiError) || error.fieldErrors.length === 0) ? error.message : undefined;
    const deleting = this.deleting;
    return html`<div class="bar"><h1>Fronting links</h1><button type="button" class="primary" @click=${() => this.#open()}>New link</button></div>
      <ap-data-table label="Fronting links" .columns=${columns} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No fronting links" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        A link lets a gateway resource exchange the tokens it receives for tokens of the resource behind it.
      </ap-data-table>
      <ap-dialog id="create" heading="New fronting link">
        <form id="link-form" @submit=${this.#submit}>
          ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
          ${unclaimed.map((p) => html`<p class="form-problem" role="alert">${p.field}: ${p.message}</p>`)}
          ${this.#field('source', 'Source resource', { hint: 'The gateway: id, slug or URI.' })}
          ${this.#field('target', 'Target resource', { hint: 'The resource behind it: id, slug or URI.' })}
          ${this.#field('scope_map', 'Scope map', { type: 'textarea', hint: 'One source scope a line: source:scope = target:scope another:scope' })}
        </form>
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'create').close('cancel')}>Cancel</button>
          <button type="submit" form="link-form" class="primary" ?disabled=${this.#save.status === 'loading'}>Create link</button>
        </div>
      </ap-dialog>
      <ap-dialog id="delete" heading="Delete this link?">
        ${deleting
          ? html`<p>${nameOf(deleting.source_slug, deleting.source_resource_id)} will no longer exchange its tokens for
              ${nameOf(deleting.target_slug, deleting.target_resource_id)} tokens.</p>`
          : nothing}
        ${this.#remove.error ? html`<p class="form-problem" role="alert">${this.#remove.error.message}</p>` : nothing}
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'delete').close('cancel')}>Cancel</button>
          <button type="button" class="danger" @click=${() => this.#delete()}>Delete link</button>
        </div>
      </ap-dialog>`;
  }
}
define('ap-fronting-page', ApFrontingPage);
