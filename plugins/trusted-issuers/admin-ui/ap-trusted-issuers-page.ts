/**
 * The Trusted issuers page: the identity providers whose JWTs this server accepts (ID-JAG assertions, workload
 * tokens): create, edit, delete, fetch the JWKS now (how many keys it got, or why it could not), and each issuer's
 * workload rules (which token subject and claims authenticate which client).
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ApiTask, ListController, api, controls, define, ApDialog, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Issuer {
  id: string;
  name: string;
  issuer: string;
  jwks_uri: string | null;
  audience: string | null;
  enabled: boolean;
  workload: boolean;
  subject_mode: 'auto_map' | 'strict';
}

interface Rule {
  id: string;
  subject: string;
  claims: Record<string, string | number | boolean>;
  client_id: string;
}

interface Draft {
  name: string;
  issuer: string;
  jwks_uri: string;
  audience: string;
  enabled: boolean;
  workload: boolean;
  subject_mode: string;
}

const FIELDS = ['name', 'issuer', 'jwks_uri', 'audience', 'enabled', 'workload', 'subject_mode'];
const emptyDraft = (): Draft => ({ name: '', issuer: '', jwks_uri: '', audience: '', enabled: true, workload: false, subject_mode: 'auto_map' });
const draftOf = (i: Issuer): Draft => ({ ...i, jwks_uri: i.jwks_uri ?? '', audience: i.audience ?? '' });
const bodyOf = (d: Draft) => ({ ...d, name: d.name.trim(), issuer: d.issuer.trim(), jwks_uri: d.jwks_uri.trim() || null, audience: d.audience.trim() || null });

/** `claim.path=value`, one a line; `true`, `false` and numbers as JSON. */
function claimsOf(text: string): Record<string, string | number | boolean> {
  const claims: Record<string, string | number | boolean> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at < 1) continue;
    const raw = line.slice(at + 1).trim();
    claims[line.slice(0, at).trim()] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  }
  return claims;
}

export class ApTrustedIssuersPage extends LitElement {
  static override properties = { draft: { state: true }, editing: { state: true }, selected: { state: true }, rule: { state: true }, notice: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; gap: 12px; align-items: end; margin-bottom: 16px; }
      .bar h1 { margin: 0 auto 0 0; font-size: 24px; }
      .actions { display: flex; flex-wrap: wrap; gap: 6px; }
      .form-problem { color: var(--ap-danger); margin: 0 0 12px; }
      .notice { padding: 8px 12px; border: 1px solid var(--ap-border); border-radius: 8px; margin: 0 0 12px; }
      ul { padding-left: 18px; }
    `,
  ];
  declare draft: Draft;
  declare editing: Issuer | undefined;
  declare selected: Issuer | undefined;
  declare rule: { subject: string; client_id: string; claims: string };
  declare notice: string | undefined;
  readonly #list = new ListController<Issuer>(this, { path: '/admin/idps', key: 'idps' });
  readonly #save = new ApiTask<Issuer>(this);
  readonly #action = new ApiTask<unknown>(this);
  readonly #rules = new ApiTask<Rule[]>(this);
  readonly #addRule = new ApiTask<Rule>(this);

  constructor() {
    super();
    this.draft = emptyDraft();
    this.rule = { subject: '', client_id: '', claims: '' };
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#list.reload();
  }


  #open(issuer?: Issuer) {
    this.editing = issuer;
    this.draft = issuer ? draftOf(issuer) : emptyDraft();
    this.#save.reset();
    void ApDialog.in(this.renderRoot, 'edit').show();
  }

  async #submit(event: Event) {
    event.preventDefault();
    const editing = this.editing;
    const body = bodyOf(this.draft);
    const saved = await this.#save.run((signal) =>
      editing ? api.patch<Issuer>(`/admin/idps/${encodeURIComponent(editing.id)}`, body, { signal }) : api.post<Issuer>('/admin/idps', body, { signal }),
    );
    if (!saved) return;
    if (editing) this.#list.replace(saved, (a, b) => a.id === b.id);
    else this.#list.prepend(saved);
    ApDialog.in(this.renderRoot, 'edit').close('saved');
  }

  async #refresh(issuer: Issuer) {
    this.notice = undefined;
    const result = (await this.#action.run((signal) => api.post<{ jwks_uri: string; keys: number }>(`/admin/idps/${encodeURIComponent(issuer.id)}/refresh`, {}, { signal }))) as
      | { jwks_uri: string; keys: number }
      | undefined;
    if (result) this.notice = `${issuer.name}: fetched ${result.keys} key${result.keys === 1 ? '' : 's'} from ${result.jwks_uri}`;
  }

  async #delete(issuer: Issuer) {
    this.notice = undefined;
    await this.#action.run((signal) => api.delete(`/admin/idps/${encodeURIComponent(issuer.id)}`, { signal }));
    if (this.#action.status !== 'ok') return;
    ApDialog.in(this.renderRoot, 'delete').close('deleted');
    this.notice = `${issuer.name} deleted.`;
    void this.#list.reload();
  }

  async #showRules(issuer: Issuer) {
    this.selected = issuer;
    this.rule = { subject: '', client_id: '', claims: '' };
    this.#addRule.reset();
    void ApDialog.in(this.renderRoot, 'rules').show();
    await this.#rules.run(async (signal) => (await api.get<{ rules: Rule[] }>(`/admin/idps/${encodeURIComponent(issuer.id)}/workload-rules`, { signal })).rules);
  }

  async #submitRule(event: Event) {
    event.preventDefault();
    const issuer = this.selected!;
    const body = { subject: this.rule.subject.trim(), client_id: this.rule.client_id.trim(), claims: claimsOf(this.rule.claims) };
    const added = await this.#addRule.run((signal) => api.post<Rule>(`/admin/idps/${encodeURIComponent(issuer.id)}/workload-rules`, body, { signal }));
    if (!added) return;
    this.#rules.value = [...(this.#rules.value ?? []), added];
    this.rule = { subject: '', client_id: '', claims: '' };
  }

  async #deleteRule(rule: Rule) {
    const issuer = this.selected!;
    await this.#addRule.run(async (signal) => {
      await api.delete(`/admin/idps/${encodeURIComponent(issuer.id)}/workload-rules/${encodeURIComponent(rule.id)}`, { signal });
      return rule;
    });
    if (this.#addRule.status === 'ok') this.#rules.value = (this.#rules.value ?? []).filter((r) => r.id !== rule.id);
  }

  #field(name: keyof Draft, label: string, options: { type?: string; hint?: string; required?: boolean; choices?: string[] } = {}) {
    const error = this.#save.error instanceof ApiError ? this.#save.error.forField(name) : undefined;
    return html`<ap-form-field name=${name} label=${label} type=${options.type ?? 'text'} .value=${this.draft[name]} hint=${options.hint ?? ''}
      ?required=${options.required ?? false} .options=${(options.choices ?? []).map((v) => ({ value: v, label: v }))} .error=${error}
      @ap-change=${(e: CustomEvent<{ value: string | boolean }>) => (this.draft = { ...this.draft, [name]: e.detail.value })}></ap-form-field>`;
  }

  #ruleField(name: 'subject' | 'client_id' | 'claims', label: string, hint: string, type = 'text') {
    const error = this.#addRule.error instanceof ApiError ? this.#addRule.error.forField(name) : undefined;
    return html`<ap-form-field name=${name} label=${label} type=${type} hint=${hint} .value=${this.rule[name]} .error=${error} ?required=${name !== 'claims'}
      @ap-change=${(e: CustomEvent<{ value: string }>) => (this.rule = { ...this.rule, [name]: e.detail.value })}></ap-form-field>`;
  }

  #rulesView() {
    const rules = this.#rules;
    const error = this.#addRule.error;
    const general = error && (!(error instanceof ApiError) || error.unclaimed(['subject', 'client_id', 'claims']).length > 0 || error.fieldErrors.length === 0) ? error.message : undefined;
    return html`${rules.status === 'error' ? html`<ap-error-state .error=${rules.error}></ap-error-state>` : nothing}
      ${rules.status === 'loading' ? html`<ap-loading label="Loading the rules"></ap-loading>` : nothing}
      ${rules.value?.length
        ? html`<ul>${rules.value.map(
            (r) => html`<li><code>${r.subject}</code>${Object.keys(r.claims).length ? html` with ${Object.entries(r.claims).map(([k, v]) => html`<code>${k}=${String(v)}</code> `)}` : nothing}
              → client <code>${r.client_id}</code>
              <button type="button" class="danger" @click=${() => this.#deleteRule(r)} aria-label="Delete the rule for ${r.subject}">Delete</button></li>`,
          )}</ul>`
        : rules.status === 'ok' ? html`<p class="muted">No workload rules.</p>` : nothing}
      <form id="rule-form" @submit=${this.#submitRule}>
        ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
        ${this.#ruleField('subject', 'Token subject', 'The sub its tokens carry.')}
        ${this.#ruleField('claims', 'Required claims', 'claim.path=value, one a line (optional).', 'textarea')}
        ${this.#ruleField('client_id', 'Client it authenticates', 'A private_key_jwt client id.')}
        <button type="submit" ?disabled=${this.#addRule.status === 'loading'}>Add rule</button>
      </form>`;
  }

  override render() {
    const list = this.#list;
    const columns: Column<Issuer>[] = [
      { key: 'name', label: 'Name', render: (i) => html`<strong>${i.name}</strong>${i.enabled ? nothing : html` <span class="badge suspended">disabled</span>`}` },
      { key: 'issuer', label: 'Issuer', render: (i) => html`<code>${i.issuer}</code>` },
      { key: 'jwks_uri', label: 'JWKS', render: (i) => (i.jwks_uri ? html`<code>${i.jwks_uri}</code>` : html`<span class="muted">discovered</span>`) },
      { key: 'use', label: 'Use', render: (i) => html`${i.subject_mode}${i.workload ? html` <span class="badge">workload</span>` : nothing}` },
      {
        key: 'actions',
        label: 'Actions',
        render: (i) => html`<div class="actions">
          <button type="button" @click=${() => this.#open(i)} aria-label="Edit ${i.name}">Edit</button>
          <button type="button" @click=${() => this.#refresh(i)} aria-label="Refresh the JWKS of ${i.name}">Refresh JWKS</button>
          <button type="button" @click=${() => this.#showRules(i)} aria-label="Workload rules of ${i.name}">Workload rules</button>
          <button type="button" class="danger" @click=${() => ((this.selected = i), this.#action.reset(), ApDialog.in(this.renderRoot, 'delete').show())}
            aria-label="Delete ${i.name}">Delete</button>
        </div>`,
      },
    ];
    const saveError = this.#save.error;
    const unclaimed = saveError instanceof ApiError ? saveError.unclaimed(FIELDS) : [];
    const general = saveError && (!(saveError instanceof ApiError) || saveError.fieldErrors.length === 0) ? saveError.message : undefined;
    const actionError = this.#action.error;
    return html`<div class="bar"><h1>Trusted issuers</h1><button type="button" class="primary" @click=${() => this.#open()}>New issuer</button></div>
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${actionError ? html`<ap-error-state .error=${actionError}></ap-error-state>` : nothing}
      <ap-data-table label="Trusted issuers" .columns=${columns} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No trusted issuers" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        Register the identity providers whose JWTs this server accepts (Cross-App Access, workload identity).
      </ap-data-table>
      <ap-dialog id="edit" heading=${this.editing ? `Edit ${this.editing.name}` : 'New trusted issuer'}>
        <form id="issuer-form" @submit=${this.#submit}>
          ${general ? html`<p class="form-problem" role="alert">${general}</p>` : nothing}
          ${unclaimed.map((p) => html`<p class="form-problem" role="alert">${p.field}: ${p.message}</p>`)}
          ${this.#field('name', 'Name', { required: true, hint: 'Lower case: acme-okta.' })}
          ${this.#field('issuer', 'Issuer', { type: 'url', required: true, hint: 'Compared exactly with iss, trailing slash included.' })}
          ${this.#field('jwks_uri', 'JWKS URI', { type: 'url', hint: "Empty: read from the issuer's OpenID configuration." })}
          ${this.#field('audience', 'Audience', { hint: 'The aud its tokens must carry; empty: this server\u2019s issuer.' })}
          ${this.#field('subject_mode', 'ID-JAG subjects', { type: 'select', choices: ['auto_map', 'strict'] })}
          ${this.#field('enabled', 'Enabled', { type: 'checkbox' })}
          ${this.#field('workload', 'Workload tokens may authenticate clients', { type: 'checkbox' })}
        </form>
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'edit').close('cancel')}>Cancel</button>
          <button type="submit" form="issuer-form" class="primary" ?disabled=${this.#save.status === 'loading'}>${this.editing ? 'Save' : 'Create issuer'}</button>
        </div>
      </ap-dialog>
      <ap-dialog id="rules" heading=${this.selected ? `Workload rules of ${this.selected.name}` : 'Workload rules'}>
        ${this.selected ? this.#rulesView() : nothing}
        <div slot="actions"><button type="button" @click=${() => ApDialog.in(this.renderRoot, 'rules').close('done')}>Done</button></div>
      </ap-dialog>
      <ap-dialog id="delete" heading=${this.selected ? `Delete ${this.selected.name}?` : 'Delete'}>
        <p>Its assertions and workload tokens are refused once it is deleted.</p>
        ${actionError ? html`<p class="form-problem" role="alert">${actionError.message}</p>` : nothing}
        <div slot="actions">
          <button type="button" @click=${() => ApDialog.in(this.renderRoot, 'delete').close('cancel')}>Cancel</button>
          <button type="button" class="danger" @click=${() => this.#delete(this.selected!)}>Delete issuer</button>
        </div>
      </ap-dialog>`;
  }
}
define('ap-trusted-issuers-page', ApTrustedIssuersPage);
