/**
 * The System page: the server's status (versions, uptime, database, signing keys, enabled plugins) from
 * `GET /admin/system/status`, and its effective configuration with every secret removed (`GET /admin/system/config`).
 */
import { LitElement, css, html, nothing } from 'lit';
import { ApiTask, api, controls, define } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface Status {
  version: string;
  versions?: Record<string, string>;
  uptime_secs: number;
  subsystems: {
    database: { status: string; driver: string };
    signing_keys: { status: string; current_kid: string; published: number; store: { name: string; location: string | null; warning?: string } };
    plugins: string[];
  };
}

function uptime(secs: number): string {
  const d = Math.floor(secs / 86_400);
  const h = Math.floor((secs % 86_400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${secs % 60} s`;
}

export class ApSystemPage extends LitElement {
  static override styles = [
    controls,
    css`
      :host { display: block; }
      h1 { margin: 0 0 16px; font-size: 24px; }
      h2 { font-size: 19px; margin: 24px 0 8px; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; background: var(--ap-surface);
        border: 1px solid var(--ap-border); border-radius: 8px; padding: 14px; }
      dt { color: var(--ap-muted); }
      dd { margin: 0; }
      ul.plugins { display: flex; flex-wrap: wrap; gap: 6px; list-style: none; padding: 0; margin: 0; }
      pre { background: var(--ap-surface); border: 1px solid var(--ap-border); border-radius: 8px; padding: 12px; overflow: auto; max-height: 60vh; }
      .warn { color: var(--ap-warn); }
    `,
  ];
  readonly #status = new ApiTask<Status>(this);
  readonly #config = new ApiTask<Record<string, unknown>>(this);

  override connectedCallback() {
    super.connectedCallback();
    void this.#load();
  }

  #load() {
    return Promise.all([
      this.#status.run((signal) => api.get<Status>('/admin/system/status', { signal })),
      this.#config.run((signal) => api.get<Record<string, unknown>>('/admin/system/config', { signal })),
    ]);
  }

  #statusView(s: Status) {
    const keys = s.subsystems.signing_keys;
    const versions = s.versions ?? { authplane: s.version };
    return html`<dl>
        ${Object.entries(versions).map(([name, v]) => html`<dt>${name === 'authplane' ? 'AuthPlane' : name === 'node' ? 'Node.js' : name}</dt><dd data-version=${name}>${v}</dd>`)}
        <dt>Uptime</dt><dd>${uptime(s.uptime_secs)}</dd>
        <dt>Database</dt><dd><span class="badge ${s.subsystems.database.status === 'ok' ? 'active' : 'revoked'}">${s.subsystems.database.status}</span> ${s.subsystems.database.driver}</dd>
        <dt>Signing keys</dt><dd>current <code>${keys.current_kid}</code>, ${keys.published} published, store ${keys.store.name}${keys.store.location ? html` (<code>${keys.store.location}</code>)` : nothing}
          ${keys.store.warning ? html`<div class="warn">${keys.store.warning}</div>` : nothing}</dd>
      </dl>
      <h2>Plugins (${s.subsystems.plugins.length})</h2>
      <ul class="plugins" aria-label="Enabled plugins">${s.subsystems.plugins.map((p) => html`<li class="badge">${p}</li>`)}</ul>`;
  }

  override render() {
    const status = this.#status;
    const config = this.#config;
    const failed = status.status === 'error' ? status.error : config.status === 'error' ? config.error : undefined;
    return html`<h1>System</h1>
      ${failed ? html`<ap-error-state .error=${failed} retry @ap-retry=${() => this.#load()}></ap-error-state>` : nothing}
      ${status.value ? this.#statusView(status.value) : status.status === 'loading' ? html`<ap-loading label="Loading the status…"></ap-loading>` : nothing}
      <h2>Configuration</h2>
      <p class="muted">The effective configuration (defaults, config file, environment), without any secret.</p>
      ${config.value ? html`<pre tabindex="0" aria-label="Configuration" data-testid="config">${JSON.stringify(config.value, null, 2)}</pre>` : nothing}`;
  }
}
define('ap-system-page', ApSystemPage);
