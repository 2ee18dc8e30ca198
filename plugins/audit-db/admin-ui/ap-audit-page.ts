/**
 * The Audit log page: the trail filtered by time window, user, client and action (`GET /admin/audit`), and a live
 * tail (`GET /admin/audit/stream`, server-sent events read with fetch, since EventSource cannot send the admin
 * credential) that puts each new matching event at the top as it happens and resumes after a dropped connection
 * with Last-Event-ID.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiError, ListController, api, controls, define, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface AuditEvent {
  id: string;
  time: string;
  action: string;
  actor_id: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
}

type Filters = { since: string; until: string; user_id: string; client_id: string; action: string };
const FILTERS: { name: keyof Filters; label: string; type: string }[] = [
  { name: 'since', label: 'Since', type: 'datetime-local' },
  { name: 'until', label: 'Until', type: 'datetime-local' },
  { name: 'user_id', label: 'User id', type: 'text' },
  { name: 'client_id', label: 'Client id', type: 'text' },
  { name: 'action', label: 'Action', type: 'text' },
];
/** Rows the live tail keeps on the page; older ones are for the filters. */
const TAIL_ROWS = 500;
const RETRY_MS = 3000;

/** `datetime-local` (the browser's zone) → RFC 3339 in UTC, as the API wants. */
const toRfc3339 = (local: string) => (local ? new Date(local).toISOString() : '');

/** Reads server-sent events from a fetch response, calling `onEvent` for each `audit` event. */
async function readEvents(response: Response, onEvent: (event: AuditEvent) => void): Promise<void> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (name === 'audit' && data) onEvent(JSON.parse(data) as AuditEvent);
    }
  }
}

export class ApAuditPage extends LitElement {
  static override properties = { filters: { state: true }, tail: { state: true }, tailState: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .bar { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin-bottom: 16px; }
      .bar h1 { margin: 0 auto 0 0; font-size: 24px; }
      form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin-bottom: 16px; }
      form.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--ap-muted); gap: 2px; }
      .tail { margin-bottom: 20px; }
      .live-dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--ap-ok); margin-right: 6px; }
      details pre { margin: 4px 0 0; white-space: pre-wrap; word-break: break-all; }
      h2 { font-size: 18px; }
    `,
  ];
  declare filters: Filters;
  declare tail: AuditEvent[];
  declare tailState: 'off' | 'connecting' | 'live' | 'retrying';
  readonly #list = new ListController<AuditEvent>(this, { path: '/admin/audit', key: 'events', limit: 100 });
  #tailAbort: AbortController | undefined;
  #lastId: string | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.filters = { since: '', until: '', user_id: '', client_id: '', action: '' };
    this.tail = [];
    this.tailState = 'off';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.#list.reload(this.#query());
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.#stopTail();
  }

  #query() {
    const f = this.filters;
    return { since: toRfc3339(f.since), until: toRfc3339(f.until), user_id: f.user_id.trim(), client_id: f.client_id.trim(), action: f.action.trim() };
  }

  #apply(event: Event) {
    event.preventDefault();
    void this.#list.reload(this.#query());
    if (this.tailState !== 'off') {
      this.#stopTail();
      this.#startTail();
    }
  }

  #startTail() {
    this.tail = [];
    this.#lastId = undefined;
    void this.#connect();
  }

  #stopTail() {
    clearTimeout(this.#retry);
    this.#tailAbort?.abort();
    this.#tailAbort = undefined;
    this.tailState = 'off';
  }

  async #connect() {
    const controller = new AbortController();
    this.#tailAbort = controller;
    this.tailState = this.#lastId ? 'retrying' : 'connecting';
    const { user_id, client_id, action } = this.#query();
    try {
      const response = await api.stream('/admin/audit/stream', { query: { user_id, client_id, action }, signal: controller.signal, lastEventId: this.#lastId });
      this.tailState = 'live';
      await readEvents(response, (event) => {
        this.#lastId = event.id;
        // A resumed stream may repeat events of the last one's millisecond.
        if (this.tail.some((e) => e.id === event.id)) return;
        this.tail = [event, ...this.tail].slice(0, TAIL_ROWS);
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      // A refusal (401 goes back to sign-in) ends the tail; a dropped connection is retried.
      if (error instanceof ApiError) {
        this.tailState = 'off';
        return;
      }
    }
    if (controller.signal.aborted) return;
    this.tailState = 'retrying';
    this.#retry = setTimeout(() => void this.#connect(), RETRY_MS);
  }

  #columns(): Column<AuditEvent>[] {
    return [
      { key: 'time', label: 'Time', render: (e) => new Date(e.time).toLocaleString() },
      { key: 'action', label: 'Action', render: (e) => html`<code>${e.action}</code>` },
      { key: 'actor_id', label: 'Actor' },
      { key: 'user_id', label: 'User' },
      { key: 'client_id', label: 'Client' },
      {
        key: 'detail',
        label: 'Detail',
        render: (e) => (Object.keys(e.detail).length ? html`<details><summary>detail</summary><pre>${JSON.stringify(e.detail, null, 2)}</pre></details>` : '—'),
      },
    ];
  }

  override render() {
    const list = this.#list;
    const live = this.tailState !== 'off';
    return html`<div class="bar">
        <h1>Audit log</h1>
        ${live
          ? html`<button type="button" @click=${() => this.#stopTail()}>Stop live tail</button>`
          : html`<button type="button" class="primary" @click=${() => this.#startTail()}>Start live tail</button>`}
      </div>
      <form class="filters" @submit=${this.#apply} aria-label="Filters">
        ${FILTERS.map((f) => html`<label>${f.label}<input name=${f.name} type=${f.type} .value=${this.filters[f.name]}
          @input=${(e: Event) => (this.filters = { ...this.filters, [f.name]: (e.target as HTMLInputElement).value })} /></label>`)}
        <button type="submit">Apply</button>
      </form>
      ${live
        ? html`<section class="tail" aria-labelledby="tail-title">
            <h2 id="tail-title"><span class="live-dot" aria-hidden="true"></span>Live tail</h2>
            <p class="muted" role="status" data-testid="tail-state">${this.tailState === 'live' ? 'Connected: new events appear here as they happen.' : this.tailState === 'retrying' ? 'Connection lost, reconnecting…' : 'Connecting…'}</p>
            <ap-data-table label="New events" .columns=${this.#columns()} .rows=${this.tail} status="ok" empty-heading="No new events yet">
              Events matching the filters appear here as they happen.</ap-data-table>
          </section>`
        : nothing}
      <ap-data-table label="Events" .columns=${this.#columns()} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No events" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        Nothing in this window (the last 24 hours unless Since and Until say otherwise) matches.
      </ap-data-table>`;
  }
}
define('ap-audit-page', ApAuditPage);
