/**
 * The Overview page: counts from the admin API (clients, users, tokens issued in the last 24 hours and how many of
 * them are active or revoked, users' connected upstream accounts, refusals), a chart of issuances per hour and the
 * refusals by reason as a bar chart and a table (`GET /admin/audit/summary`). A count whose plugin is not enabled says so, without asking
 * (the status lists the plugins): no request the browser would log as a failure.
 */
import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css';
import { ApiError, ApiTask, api, controls, define } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Issuance {
  issued_at: string;
  status: 'active' | 'expired' | 'revoked';
}

interface Denial {
  action: string;
  reason: string | null;
  count: number;
}

interface Counts {
  clients: string;
  users: string;
  issued: string;
  active: string;
  revoked: string;
  connections: string;
  denied: string;
  denials: Denial[] | undefined;
  hourly: { hours: number[]; counts: number[] };
}

const HOUR = 3_600_000;
const UNAVAILABLE = 'not enabled';

/**
 * A list's size as text: `100+` when the server has more pages (the first page at the server's default size),
 * `not enabled` when its plugin is absent.
 */
async function listCount(path: string, key: string, signal: AbortSignal, enabled = true): Promise<string> {
  if (!enabled) return UNAVAILABLE;
  try {
    const page = await api.list<unknown>(path, key, { signal });
    return `${page.items.length}${page.next ? '+' : ''}`;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return UNAVAILABLE;
    throw error;
  }
}

const ISSUANCE_SAMPLE = 5000;

/** The day's issuances, walked page by page up to ISSUANCE_SAMPLE rows; `more` says the day had more. */
async function issuancesSince(since: number, signal: AbortSignal, enabled: boolean): Promise<{ rows: Issuance[]; more: boolean } | undefined> {
  if (!enabled) return undefined;
  try {
    const rows: Issuance[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.list<Issuance>('/admin/issuances', 'issuances', { signal, limit: 1000, cursor, query: { since: new Date(since).toISOString() } });
      rows.push(...page.items);
      cursor = page.next;
    } while (cursor && rows.length < ISSUANCE_SAMPLE);
    return { rows, more: cursor !== undefined };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

async function denialsSince(since: number, signal: AbortSignal, enabled: boolean): Promise<Denial[] | undefined> {
  if (!enabled) return undefined;
  try {
    return (await api.get<{ denials: Denial[] }>('/admin/audit/summary', { signal, query: { since: new Date(since).toISOString() } })).denials;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** A refusal's name as the table shows it: `token exchange: subject_token_invalid`. */
function denialLabel(d: Denial): string {
  return `${d.action.replace(/_(denied|failed)$/, '').replaceAll('_', ' ')}: ${d.reason ?? 'no reason given'}`;
}

/** An axis label of at most `max` characters. */
function shorten(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

export function hourlyBuckets(rows: readonly Issuance[], now: number): { hours: number[]; counts: number[] } {
  const end = Math.ceil(now / HOUR) * HOUR;
  const hours = Array.from({ length: 24 }, (_, i) => (end - (24 - i) * HOUR) / 1000);
  const counts = hours.map(() => 0);
  for (const row of rows) {
    const slot = 23 - Math.floor((end - 1 - Date.parse(row.issued_at)) / HOUR);
    if (slot >= 0 && slot < 24) counts[slot]!++;
  }
  return { hours, counts };
}

export class ApOverviewPage extends LitElement {
  static override styles = [
    controls,
    unsafeCSS(uPlotCss),
    css`
      :host { display: block; }
      h1 { margin: 0 0 16px; font-size: 24px; }
      .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; margin-bottom: 24px; }
      .card { background: var(--ap-surface); border: 1px solid var(--ap-border); border-radius: 8px; padding: 14px; }
      .card dt { color: var(--ap-muted); font-size: 13px; }
      .card dd { margin: 4px 0 0; font-size: 26px; font-weight: 700; }
      figure { margin: 0; background: var(--ap-surface); border: 1px solid var(--ap-border); border-radius: 8px; padding: 12px; }
      figcaption { font-weight: 600; margin-bottom: 8px; }
      .u-legend { color: var(--ap-text); }
      section { margin-top: 24px; background: var(--ap-surface); border: 1px solid var(--ap-border); border-radius: 8px; padding: 12px; }
      h2 { font-size: 16px; margin: 0 0 8px; }
      table { border-collapse: collapse; width: 100%; }
      th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--ap-border); }
      td.num { text-align: right; font-variant-numeric: tabular-nums; width: 6em; }
      #denials-chart { margin-bottom: 12px; }
    `,
  ];
  readonly #counts = new ApiTask<Counts>(this);
  #charts: uPlot[] = [];

  override connectedCallback() {
    super.connectedCallback();
    void this.#load();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    for (const chart of this.#charts) chart.destroy();
    this.#charts = [];
  }

  #load() {
    return this.#counts.run(async (signal) => {
      const now = Date.now();
      const status = await api.get<{ subsystems: { plugins: string[] } }>('/admin/system/status', { signal });
      const has = (plugin: string) => status.subsystems.plugins.includes(plugin);
      const since = now - 24 * HOUR;
      const [clients, users, issued, connections, denials] = await Promise.all([
        listCount('/admin/clients', 'clients', signal, has('clients')),
        listCount('/admin/users', 'users', signal, has('users')),
        issuancesSince(since, signal, has('issuances')),
        listCount('/admin/broker-grants', 'grants', signal, has('broker')),
        denialsSince(since, signal, has('audit-db')),
      ]);
      const count = (status?: Issuance['status']) =>
        issued ? `${issued.rows.filter((r) => !status || r.status === status).length}${issued.more ? '+' : ''}` : UNAVAILABLE;
      const denied = denials ? String(denials.reduce((sum, d) => sum + d.count, 0)) : UNAVAILABLE;
      return {
        clients, users, issued: count(), active: count('active'), revoked: count('revoked'), connections, denied, denials,
        hourly: hourlyBuckets(issued?.rows ?? [], now),
      };
    });
  }

  override updated() {
    const counts = this.#counts.value;
    const target = this.renderRoot.querySelector<HTMLElement>('#chart');
    if (!counts || !target) return;
    const styles = getComputedStyle(this);
    const color = styles.getPropertyValue('--ap-accent').trim() || '#1f5fbf';
    const refusedColor = styles.getPropertyValue('--ap-danger').trim() || '#b3261e';
    const text = styles.getPropertyValue('--ap-muted').trim() || '#555';
    const grid = styles.getPropertyValue('--ap-border').trim() || '#ccc';
    for (const chart of this.#charts) chart.destroy();
    this.#charts = [];
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    // Counts are whole numbers: no 0.2 steps on a quiet day.
    const counted = { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5] };
    const width = (el: HTMLElement) => Math.max(320, el.clientWidth || 640);
    const atLeastOne: uPlot.Range.Function = (_u, _min, max) => [0, Math.max(1, max)];
    this.#charts.push(
      new uPlot(
        {
          width: width(target),
          height: 220,
          scales: { x: { time: true }, y: { range: atLeastOne } },
          axes: [axis, counted],
          series: [{}, { label: 'Tokens issued', stroke: color, fill: `${color}33`, width: 2, paths: uPlot.paths.stepped!({ align: 1 }) }],
        },
        [counts.hourly.hours, counts.hourly.counts],
        target,
      ),
    );
    const bars = this.renderRoot.querySelector<HTMLElement>('#denials-chart');
    const denials = counts.denials ?? [];
    if (!bars || denials.length === 0) return;
    // Categories on the x scale: bar i at x = i, labelled with the refusal's name.
    const labels = denials.map((d) => shorten(denialLabel(d), 40));
    const indices = denials.map((_, i) => i);
    this.#charts.push(
      new uPlot(
        {
          width: width(bars),
          height: 260,
          legend: { show: false },
          cursor: { show: false },
          scales: { x: { time: false, range: () => [-0.5, denials.length - 0.5] }, y: { range: atLeastOne } },
          axes: [
            { ...axis, grid: { show: false }, splits: () => indices, values: (_u, splits) => splits.map((i) => labels[i] ?? ''), rotate: -20, size: 125 },
            counted,
          ],
          series: [{}, { label: 'Refused', stroke: refusedColor, fill: `${refusedColor}99`, width: 1, paths: uPlot.paths.bars!({ size: [0.6, 64], align: 0 }), points: { show: false } }],
        },
        [indices, denials.map((d) => d.count)],
        bars,
      ),
    );
  }

  override render() {
    const task = this.#counts;
    const c = task.value;
    const card = (label: string, value: string | undefined, id: string) =>
      html`<div class="card"><dt>${label}</dt><dd data-count=${id}>${value ?? '…'}</dd></div>`;
    return html`<h1>Overview</h1>
      ${task.status === 'error' ? html`<ap-error-state .error=${task.error} retry @ap-retry=${() => this.#load()}></ap-error-state>` : nothing}
      ${task.status === 'loading' && !c ? html`<ap-loading label="Loading the overview…"></ap-loading>` : nothing}
      <dl class="cards">
        ${card('Clients', c?.clients, 'clients')} ${card('Users', c?.users, 'users')}
        ${card('Tokens issued (24 h)', c?.issued, 'issued')} ${card('Still active', c?.active, 'active')}
        ${card('Revoked', c?.revoked, 'revoked')} ${card('Connected accounts', c?.connections, 'connections')}
        ${card('Refused (24 h)', c?.denied, 'denied')}
      </dl>
      <figure>
        <figcaption id="chart-title">Tokens issued per hour, last 24 hours</figcaption>
        <div id="chart" role="img" aria-labelledby="chart-title"></div>
      </figure>
      ${c?.denials ? this.#denials(c.denials) : nothing}`;
  }

  /** Refusals by reason: a bar chart (uPlot), with the same figures as a table for screen readers and copying. */
  #denials(denials: Denial[]) {
    const described = denials.map((d) => `${denialLabel(d)} ${d.count}`).join(', ');
    return html`<section aria-labelledby="denials-title">
      <h2 id="denials-title">Refusals by reason, last 24 hours</h2>
      ${denials.length === 0
        ? html`<p class="muted">No request was refused.</p>`
        : html`<div id="denials-chart" role="img" aria-label=${`Refusals by reason: ${described}`}></div>
            <table>
              <thead><tr><th scope="col">Refusal</th><th scope="col">Count</th></tr></thead>
              <tbody>${denials.map(
                (d) => html`<tr data-denial=${`${d.action}:${d.reason ?? ''}`}><td>${denialLabel(d)}</td><td class="num">${d.count}</td></tr>`,
              )}</tbody>
            </table>`}
    </section>`;
  }
}
define('ap-overview-page', ApOverviewPage);
