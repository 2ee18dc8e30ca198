/**
 * The Issuances page: search the record of issued access tokens by user, client, jti, resource and time
 * (`GET /admin/issuances`, at least one filter, as the API requires), open one to see every field, revoke it after a
 * confirmation (`DELETE /admin/issuances/:jti`, cascading to the tokens derived from it).
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiTask, ListController, api, controls, define, type ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

export interface Issuance {
  jti: string;
  subject: string;
  client_id: string;
  audience: string[];
  scope: string;
  grant_type: string;
  issued_at: string;
  expires_at: string;
  revoked_at: string | null;
  status: 'active' | 'expired' | 'revoked';
  parent_jti: string | null;
  grant_ref: string | null;
  cnf_jkt: string | null;
}

type Filters = { user: string; client: string; jti: string; resource: string; since: string };
const FILTERS: { name: keyof Filters; label: string; type: string }[] = [
  { name: 'user', label: 'User (subject)', type: 'text' },
  { name: 'client', label: 'Client id', type: 'text' },
  { name: 'jti', label: 'jti', type: 'text' },
  { name: 'resource', label: 'Resource URI', type: 'text' },
  { name: 'since', label: 'Issued since', type: 'datetime-local' },
];

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
/** The default window when no filter is given: the API needs one. */
const DAY = 86_400_000;
const localInput = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

export class ApIssuancesPage extends LitElement {
  static override properties = { filters: { state: true }, selected: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      h1 { margin: 0 0 16px; font-size: 24px; }
      form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin-bottom: 16px; }
      form.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--ap-muted); gap: 2px; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 0; }
      dt { color: var(--ap-muted); }
      dd { margin: 0; word-break: break-all; }
      .actions { display: flex; gap: 6px; }
    `,
  ];
  declare filters: Filters;
  declare selected: Issuance | undefined;
  readonly #list = new ListController<Issuance>(this, { path: '/admin/issuances', key: 'issuances', limit: 100 });
  readonly #revoke = new ApiTask<Issuance>(this);

  constructor() {
    super();
    this.filters = { user: '', client: '', jti: '', resource: '', since: localInput(Date.now() - DAY) };
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#list.reload(this.#query());
  }

  #query() {
    const f = this.filters;
    return { user: f.user.trim(), client: f.client.trim(), jti: f.jti.trim(), resource: f.resource.trim(), since: f.since ? new Date(f.since).toISOString() : '' };
  }

  #search(event: Event) {
    event.preventDefault();
    void this.#list.reload(this.#query());
  }

  #open(row: Issuance) {
    this.selected = row;
    void this.renderRoot.querySelector<ApDialog>('ap-dialog')!.show();
  }

  async #revokeOne(row: Issuance) {
    if (!confirm(`Revoke token ${row.jti} of ${row.subject}? Tokens derived from it are revoked too.`)) return;
    const done = await this.#revoke.run(async (signal) => {
      await api.delete(`/admin/issuances/${encodeURIComponent(row.jti)}`, { signal });
      return api.get<Issuance>(`/admin/issuances/${encodeURIComponent(row.jti)}`, { signal });
    });
    if (!done) return;
    this.#list.replace(done, (a, b) => a.jti === b.jti);
    if (this.selected?.jti === done.jti) this.selected = done;
  }

  #detail(i: Issuance) {
    const rows: [string, unknown][] = [
      ['jti', i.jti], ['Status', i.status], ['Subject', i.subject], ['Client', i.client_id], ['Audience', i.audience.join(', ')],
      ['Scope', i.scope || '—'], ['Grant', i.grant_type], ['Issued', when(i.issued_at)], ['Expires', when(i.expires_at)],
      ['Revoked', when(i.revoked_at)], ['Derived from', i.parent_jti ?? '—'], ['Grant reference', i.grant_ref ?? '—'], ['DPoP key (jkt)', i.cnf_jkt ?? '—'],
    ];
    return html`<dl>${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}</dl>`;
  }

  override render() {
    const list = this.#list;
    const columns: Column<Issuance>[] = [
      { key: 'issued_at', label: 'Issued', render: (i) => when(i.issued_at) },
      { key: 'subject', label: 'Subject', render: (i) => html`<code>${i.subject}</code>` },
      { key: 'client_id', label: 'Client', render: (i) => html`<code>${i.client_id}</code>` },
      { key: 'audience', label: 'Audience', render: (i) => i.audience.join(', ') },
      { key: 'status', label: 'Status', render: (i) => html`<span class="badge ${i.status === 'expired' ? 'suspended' : i.status}">${i.status}</span>` },
      {
        key: 'actions',
        label: 'Actions',
        render: (i) => html`<div class="actions">
          <button type="button" @click=${() => this.#open(i)} aria-label="Details of ${i.jti}">Details</button>
          ${i.status === 'active' ? html`<button type="button" class="danger" @click=${() => this.#revokeOne(i)} aria-label="Revoke ${i.jti}">Revoke</button>` : nothing}
        </div>`,
      },
    ];
    const selected = this.selected;
    return html`<h1>Issuances</h1>
      <form class="filters" @submit=${this.#search} aria-label="Search">
        ${FILTERS.map((f) => html`<label>${f.label}<input name=${f.name} type=${f.type} .value=${this.filters[f.name]}
          @input=${(e: Event) => (this.filters = { ...this.filters, [f.name]: (e.target as HTMLInputElement).value })} /></label>`)}
        <button type="submit" class="primary">Search</button>
      </form>
      ${this.#revoke.status === 'error' ? html`<ap-error-state .error=${this.#revoke.error}></ap-error-state>` : nothing}
      <ap-data-table label="Tokens" .columns=${columns} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No tokens match" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        Give at least one filter: a user, a client, a jti, a resource or a start time.
      </ap-data-table>
      <ap-dialog heading="Token ${selected?.jti ?? ''}" @ap-close=${() => (this.selected = undefined)}>
        ${selected ? this.#detail(selected) : nothing}
        <div slot="actions">
          ${selected?.status === 'active' ? html`<button type="button" class="danger" @click=${() => this.#revokeOne(selected)}>Revoke</button>` : nothing}
          <button type="button" @click=${() => this.renderRoot.querySelector<ApDialog>('ap-dialog')!.close('done')}>Close</button>
        </div>
      </ap-dialog>`;
  }
}
define('ap-issuances-page', ApIssuancesPage);
