/**
 * The XAA policies page (Cross-App Access, ID-JAG): per trusted issuer, which clients may redeem its assertions for
 * which scopes and resources (empty lists: no restriction) — create, edit, enable or disable, delete — and the
 * subject mappings (the issuer's `sub` → our user) used in `strict` subject mode.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, ListController, api, controls, define, ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Policy {
  id: string;
  idp_id: string;
  client_ids: string[];
  scopes: string[];
  resources: string[];
  enabled: boolean;
}

interface Mapping {
  id: string;
  idp_id: string;
  idp_subject: string;
  subject: string;
}

interface Issuer {
  id: string;
  name: string;
}

type Draft = { idp: string; client_ids: string; scopes: string; resources: string; enabled: boolean };
type MappingDraft = { idp: string; idp_subject: string; subject: string };

const words = (text: string) => text.split(/\s+/).filter(Boolean);
const any = (list: string[]) => (list.length ? list.join(' ') : html`<span class="muted">any</span>`);

export class ApXaaPage extends LitElement {
  static override properties = { draft: { state: true }, editing: { state: true }, mapping: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; gap: 12px; align-items: end; margin: 0 0 16px; }
      .bar h1, .bar h2 { margin: 0 auto 0 0; }
      h1 { font-size: 24px; }
      h2 { font-size: 20px; }
      section + section { margin-top: 32px; }
      .actions { display: flex; gap: 6px; }
      .form-problem { color: var(--ap-danger); margin: 0 0 12px; }
    `,
  ];
  declare draft: Draft;
  declare editing: Policy | undefined;
  declare mapping: MappingDraft;
  readonly #policies = new ListController<Policy>(this, { path: '/admin/xaa/policies', key: 'policies' });
  readonly #mappings = new ListController<Mapping>(this, { path: '/admin/xaa/subject-mappings', key: 'subject_mappings' });
  readonly #issuers = new ApiTask<Issuer[]>(this);
  readonly #save = new ApiTask<Policy | Mapping>(this);
  readonly #action = new ApiTask<void>(this);

  constructor() {
    super();
    this.draft = { idp: '', client_ids: '', scopes: '', resources: '', enabled: true };
    this.mapping = { idp: '', idp_subject: '', subject: '' };
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#policies.reload();
    void this.#mappings.reload();
    void this.#issuers.run(async (signal) => (await api.get<{ idps: Issuer[] }>('/admin/idps', { signal })).idps);
  }


  #issuerName(id: string): string {
    return this.#issuers.value?.find((i) => i.id === id)?.name ?? id;
  }

  #open(policy?: Policy) {
    this.editing = policy;
    const first = this.#issuers.value?.[0]?.name ?? '';
    this.draft = policy
      ? { idp: this.#issuerName(policy.idp_id), client_ids: policy.client_ids.join(' '), scopes: policy.scopes.join(' '), resources: policy.resources.join('\n'), enabled: policy.enabled }
      : { idp: first, client_ids: '', scopes: '', resources: '', enabled: true };
    this.#save.reset();
    void ApDialog.in(this.renderRoot, 'policy').show();
  }

  #openMapping() {
    this.mapping = { idp: this.#issuers.value?.[0]?.name ?? '', idp_subject: '', subject: '' };
    this.#save.reset();
    void ApDialog.in(this.renderRoot, 'mapping').show();
  }

  async #submitPolicy(event: Event) {
    event.preventDefault();
    const editing = this.editing;
    const d = this.draft;
    const body = { idp: d.idp, client_ids: words(d.client_ids), scopes: words(d.scopes), resources: words(d.resources), enabled: d.enabled };
    const saved = (await this.#save.run((signal) =>
      editing ? api.patch<Policy>(`/admin/xaa/policies/${encodeURIComponent(editing.id)}`, body, { signal }) : api.post<Policy>('/admin/xaa/policies', body, { signal }),
    )) as Policy | undefined;
    if (!saved) return;
    if (editing) this.#policies.replace(saved, (a, b) => a.id === b.id);
    else this.#policies.prepend(saved);
    ApDialog.in(this.renderRoot, 'policy').close('saved');
  }

  async #submitMapping(event: Event) {
    event.preventDefault();
    const m = this.mapping;
    const saved = (await this.#save.run((signal) => api.post<Mapping>('/admin/xaa/subject-mappings', { idp: m.idp, idp_subject: m.idp_subject.trim(), subject: m.subject.trim() }, { signal }))) as
      | Mapping
      | undefined;
    if (!saved) return;
    this.#mappings.prepend(saved);
    ApDialog.in(this.renderRoot, 'mapping').close('saved');
  }

  async #delete(path: string, list: ListController<Policy> | ListController<Mapping>) {
    await this.#action.run((signal) => api.delete(path, { signal }));
    if (this.#action.status === 'ok') void list.reload();
  }

  #issuerChoices() {
    return (this.#issuers.value ?? []).map((i) => ({ value: i.name, label: i.name }));
  }

  #field<D extends Record<string, string | boolean>>(draft: D, set: (d: D) => void, name: keyof D & string, label: string, options: { type?: string; hint?: string; choices?: { value: string; label: string }[] } = {}) {
    const error = this.#save.error instanceof ApiError ? this.#save.error.forField(name) : undefined;
    return html`<ap-form-field name=${name} label=${label} type=${options.type ?? 'text'} .value=${draft[name]} hint=${options.hint ?? ''}
      .options=${options.choices ?? []} .error=${error} @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => set({ ...draft, [name]: e.detail.value })}></ap-form-field>`;
  }

  #problem(fields: string[]) {
    const error = this.#save.error;
    if (!error) return nothing;
    const unclaimed = error instanceof ApiError ? error.unclaimed(fields) : [];
    const general = !(error instanceof ApiError) || error.fieldErrors.length === 0 ? error.message : undefined;
    return html`${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
      ${unclaimed.map((p) => html`<p class="form-problem" role="alert">${p.field}: ${p.message}</p>`)}`;
  }

  override render() {
    const policies = this.#policies;
    const mappings = this.#mappings;
    const setDraft = (d: Draft) => (this.draft = d);
    const setMapping = (m: MappingDraft) => (this.mapping = m);
    const policyColumns: Column<Policy>[] = [
      { key: 'idp_id', label: 'Issuer', render: (p) => html`<strong>${this.#issuerName(p.idp_id)}</strong>${p.enabled ? nothing : html` <span class="badge suspended">disabled</span>`}` },
      { key: 'client_ids', label: 'Clients', render: (p) => any(p.client_ids) },
      { key: 'scopes', label: 'Scopes', render: (p) => any(p.scopes) },
      { key: 'resources', label: 'Resources', render: (p) => any(p.resources) },
      {
        key: 'actions',
        label: 'Actions',
        render: (p) => html`<div class="actions">
          <button type="button" @click=${() => this.#open(p)} aria-label="Edit the policy of ${this.#issuerName(p.idp_id)}">Edit</button>
          <button type="button" class="danger" @click=${() => this.#delete(`/admin/xaa/policies/${encodeURIComponent(p.id)}`, policies)}
            aria-label="Delete the policy of ${this.#issuerName(p.idp_id)}">Delete</button>
        </div>`,
      },
    ];
    const mappingColumns: Column<Mapping>[] = [
      { key: 'idp_id', label: 'Issuer', render: (m) => this.#issuerName(m.idp_id) },
      { key: 'idp_subject', label: 'Their subject', render: (m) => html`<code>${m.idp_subject}</code>` },
      { key: 'subject', label: 'Our subject', render: (m) => html`<code>${m.subject}</code>` },
      {
        key: 'actions',
        label: 'Actions',
        render: (m) => html`<button type="button" class="danger" @click=${() => this.#delete(`/admin/xaa/subject-mappings/${encodeURIComponent(m.id)}`, mappings)}
          aria-label="Delete the mapping of ${m.idp_subject}">Delete</button>`,
      },
    ];
    const noIssuer = this.#issuers.status === 'ok' && !this.#issuers.value?.length;
    return html`${this.#action.error ? html`<ap-error-state .error=${this.#action.error}></ap-error-state>` : nothing}
      ${noIssuer ? html`<p class="muted">Register a trusted issuer first: policies and mappings name one.</p>` : nothing}
      <section>
        <div class="bar"><h1>XAA policies</h1><button type="button" class="primary" ?disabled=${noIssuer} @click=${() => this.#open()}>New policy</button></div>
        <ap-data-table label="XAA policies" .columns=${policyColumns} .rows=${policies.items} status=${policies.status} .error=${policies.error}
          ?has-more=${policies.hasMore} empty-heading="No policies" @ap-load-more=${() => policies.loadMore()} @ap-retry=${() => policies.reload()}>
          Without a policy, no ID-JAG from an issuer is accepted.
        </ap-data-table>
      </section>
      <section>
        <div class="bar"><h2>Subject mappings</h2><button type="button" ?disabled=${noIssuer} @click=${() => this.#openMapping()}>New mapping</button></div>
        <ap-data-table label="Subject mappings" .columns=${mappingColumns} .rows=${mappings.items} status=${mappings.status} .error=${mappings.error}
          ?has-more=${mappings.hasMore} empty-heading="No subject mappings" @ap-load-more=${() => mappings.loadMore()} @ap-retry=${() => mappings.reload()}>
          An issuer in strict subject mode needs a mapping for each of its subjects.
        </ap-data-table>
      </section>
      <ap-dialog id="policy" heading=${this.editing ? 'Edit XAA policy' : 'New XAA policy'}>
        <form id="policy-form" @submit=${this.#submitPolicy}>
          ${this.#problem(['idp', 'client_ids', 'scopes', 'resources', 'enabled'])}
          ${this.#field(this.draft, setDraft, 'idp', 'Trusted issuer', { type: 'select', choices: this.#issuerChoices() })}
          ${this.#field(this.draft, setDraft, 'client_ids', 'Clients', { hint: 'Space-separated client ids; empty: any client.' })}
          ${this.#field(this.draft, setDraft, 'scopes', 'Scopes', { hint: 'Space-separated; empty: any scope.' })}
          ${this.#field(this.draft, setDraft, 'resources', 'Resources', { type: 'textarea', hint: 'Resource URIs, one a line; empty: any resource.' })}
          ${this.#field(this.draft, setDraft, 'enabled', 'Enabled', { type: 'checkbox' })}
        </form>
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'policy').close('cancel')}>Cancel</button>
          <button type="submit" form="policy-form" class="primary" ?disabled=${this.#save.status === 'loading'}>${this.editing ? 'Save' : 'Create policy'}</button>
        </div>
      </ap-dialog>
      <ap-dialog id="mapping" heading="New subject mapping">
        <form id="mapping-form" @submit=${this.#submitMapping}>
          ${this.#problem(['idp', 'idp_subject', 'subject'])}
          ${this.#field(this.mapping, setMapping, 'idp', 'Trusted issuer', { type: 'select', choices: this.#issuerChoices() })}
          ${this.#field(this.mapping, setMapping, 'idp_subject', 'Their subject', { hint: 'The sub in its assertions.' })}
          ${this.#field(this.mapping, setMapping, 'subject', 'Our subject', { hint: 'A user id of this server.' })}
        </form>
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'mapping').close('cancel')}>Cancel</button>
          <button type="submit" form="mapping-form" class="primary" ?disabled=${this.#save.status === 'loading'}>Create mapping</button>
        </div>
      </ap-dialog>`;
  }
}
define('ap-xaa-page', ApXaaPage);
