/**
 * The Overview page: counts from the admin API (clients, users, tokens issued in the last 24 hours and how many of
 * them are active or revoked) and a chart of issuances per hour. A count whose plugin is not enabled (404) says so.
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

interface Counts {
  clients: string;
  users: string;
  issued: string;
  active: string;
  revoked: string;
  hourly: { hours: number[]; counts: number[] };
}

const HOUR = 3_600_000;
const UNAVAILABLE = 'not enabled';

/**
 * A list's size as text: `100+` when the server has more pages (the first page at the server's default size),
 * `not enabled` when its plugin is absent.
 */
async function listCount(path: string, key: string, signal: AbortSignal): Promise<string> {
  try {
    const page = await api.list<unknown>(path, key, { signal });
    return `${page.items.length}${page.next ? '+' : ''}`;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return UNAVAILABLE;
    throw error;
  }
}

async function issuancesSince(since: number, signal: AbortSignal): Promise<Issuance[] | undefined> {
  try {
    return (await api.list<Issuance>('/admin/issuances', 'issuances', { signal, limit: 5000, query: { since: new Date(since).toISOString() } })).items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
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
    `,
  ];
  readonly #counts = new ApiTask<Counts>(this);
  #chart: uPlot | undefined;

  override connectedCallback() {
    super.connectedCallback();
    void this.#load();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this.#chart?.destroy();
    this.#chart = undefined;
  }

  #load() {
    return this.#counts.run(async (signal) => {
      const now = Date.now();
      const [clients, users, issued] = await Promise.all([
        listCount('/admin/clients', 'clients', signal),
        listCount('/admin/users', 'users', signal),
        issuancesSince(now - 24 * HOUR, signal),
      ]);
      const count = (status?: Issuance['status']) => (issued ? String(issued.filter((r) => !status || r.status === status).length) : UNAVAILABLE);
      return { clients, users, issued: count(), active: count('active'), revoked: count('revoked'), hourly: hourlyBuckets(issued ?? [], now) };
    });
  }

  override updated() {
    const counts = this.#counts.value;
    const target = this.renderRoot.querySelector<HTMLElement>('#chart');
    if (!counts || !target) return;
    const styles = getComputedStyle(this);
    const color = styles.getPropertyValue('--ap-accent').trim() || '#1f5fbf';
    const text = styles.getPropertyValue('--ap-muted').trim() || '#555';
    const grid = styles.getPropertyValue('--ap-border').trim() || '#ccc';
    this.#chart?.destroy();
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    this.#chart = new uPlot(
      {
        width: Math.max(320, target.clientWidth || 640),
        height: 220,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [axis, axis],
        series: [{}, { label: 'Tokens issued', stroke: color, fill: `${color}33`, width: 2, paths: uPlot.paths.stepped!({ align: 1 }) }],
      },
      [counts.hourly.hours, counts.hourly.counts],
      target,
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
        ${card('Revoked', c?.revoked, 'revoked')}
      </dl>
      <figure>
        <figcaption id="chart-title">Tokens issued per hour, last 24 hours</figcaption>
        <div id="chart" role="img" aria-labelledby="chart-title"></div>
      </figure>`;
  }
}
define('ap-overview-page', ApOverviewPage);
