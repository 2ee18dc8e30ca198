/**
 * The Federated providers page: the upstream OpenID providers people sign in with. They come from the config, so
 * the page only reads them (`GET /admin/federation/providers`): id, issuer, button label, client, scopes, whether
 * discovery succeeded and when, and when their signing keys were last fetched.
 */
import { LitElement, css, html, nothing } from 'lit';
import { ListController, controls, define, type Column } from 'authplane/admin-ui';
import 'authplane/admin-ui';

interface FederatedProvider {
  id: string;
  display_name: string;
  issuer: string;
  client_id: string;
  scopes: string[];
  client_authentication: string;
  role_rules: number;
  discovery: 'pending' | 'ok' | 'failed';
  discovered_at: string | null;
  discovery_error: string | null;
  jwks_uri: string | null;
  last_jwks_fetch_at: string | null;
}

const when = (at: string | null, none: string) => (at ? new Date(at).toLocaleString() : html`<span class="muted">${none}</span>`);
const BADGE = { ok: 'active', pending: 'suspended', failed: 'revoked' } as const;

export class ApFederationPage extends LitElement {
  static override styles = [
    controls,
    css`
      :host { display: block; }
      h1 { margin: 0 0 8px; font-size: 24px; }
      p.intro { margin: 0 0 16px; }
    `,
  ];
  readonly #list = new ListController<FederatedProvider>(this, { path: '/admin/federation/providers', key: 'providers' });

  override connectedCallback() {
    super.connectedCallback();
    void this.#list.reload();
  }

  override render() {
    const list = this.#list;
    const columns: Column<FederatedProvider>[] = [
      { key: 'display_name', label: 'Provider', render: (p) => html`<strong>${p.display_name}</strong><br /><code class="muted">${p.id}</code>` },
      { key: 'issuer', label: 'Issuer', render: (p) => html`<code>${p.issuer}</code>` },
      { key: 'client_id', label: 'Client', render: (p) => html`<code>${p.client_id}</code><br /><span class="muted">${p.client_authentication}</span>` },
      { key: 'scopes', label: 'Scopes', render: (p) => p.scopes.join(' ') },
      {
        key: 'discovery',
        label: 'Discovery',
        render: (p) => html`<span class="badge ${BADGE[p.discovery]}" data-testid="discovery-${p.id}">${p.discovery}</span>
          ${p.discovered_at ? html`<br />${when(p.discovered_at, '')}` : nothing}
          ${p.discovery_error ? html`<br /><span role="note">${p.discovery_error}</span>` : nothing}`,
      },
      { key: 'last_jwks_fetch_at', label: 'Last JWKS fetch', render: (p) => when(p.last_jwks_fetch_at, 'not yet (fetched at the first sign-in)') },
      { key: 'role_rules', label: 'Role rules', render: (p) => String(p.role_rules) },
    ];
    return html`<h1>Federated providers</h1>
      <p class="intro muted">People sign in through these OpenID providers. They are set in the configuration
        (<code>oidcFederation({ providers })</code>); change them there and restart.</p>
      <ap-data-table label="Federated providers" .columns=${columns} .rows=${list.items} status=${list.status} .error=${list.error}
        ?has-more=${list.hasMore} empty-heading="No federated providers" @ap-load-more=${() => list.loadMore()} @ap-retry=${() => list.reload()}>
        Add providers to <code>oidcFederation({ providers })</code> in the configuration.
      </ap-data-table>`;
  }
}
define('ap-federation-page', ApFederationPage);
