/**
 * A server with the core OAuth plugins and oidc-federation in front of two upstream oidc-provider instances
 * (`acme`, `globex`), a resource, a local user and a public client; helpers that drive a browser through our login
 * page, the upstream's login and consent pages and back.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { clients, oauth, oidcFederation, resources, users } from 'authplane/plugins';
import { ScriptedBrowser, type Page } from '../../helpers/browser.js';
import { freePort, startServer, type TestServer } from '../../helpers/server.js';
import { startUpstreamIdp, type UpstreamIdp } from './upstream-idp.js';

export const RESOURCE_URI = 'https://mcp.example.com/mcp';
export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
export const LOCAL_USER = { email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada' };

export interface FederationFixture extends TestServer {
  idps: Record<'acme' | 'globex', UpstreamIdp>;
  clientId: string;
  localUserId: string;
}

export interface FixtureOptions {
  now?: () => number;
  showLocalLogin?: boolean;
  idTokenTtl?: number;
  storage?: 'sqlite' | 'postgres';
  /** Role rules for acme. */
  acmeRoles?: { claim: string; value: string; role: 'admin' | 'user' }[];
}

export async function federationServer(t: TestContext, options: FixtureOptions = {}): Promise<FederationFixture> {
  // The issuer is chosen before the upstreams start: their client's redirect URI names it.
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const acme = await startUpstreamIdp(t, 'acme', issuer, { idTokenTtl: options.idTokenTtl });
  const globex = await startUpstreamIdp(t, 'globex', issuer);
  const provider = (idp: UpstreamIdp, displayName: string) => ({
    id: idp.id,
    displayName,
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecretEnv: `${idp.id.toUpperCase()}_CLIENT_SECRET`,
    scopes: ['openid', 'email', 'profile', 'groups'],
    authorizationParams: { prompt: 'consent' },
  });
  const server = await startServer(t, {
    storage: options.storage,
    now: options.now,
    env: { ACME_CLIENT_SECRET: acme.secret, GLOBEX_CLIENT_SECRET: globex.secret },
    config: { server: { address: `127.0.0.1:${port}`, issuer } },
    plugins: [
      clients(),
      resources(),
      users(),
      oauth(),
      oidcFederation({
        providers: [{ ...provider(acme, 'Acme ID'), roles: options.acmeRoles ?? [] }, provider(globex, 'Globex SSO')],
        showLocalLogin: options.showLocalLogin ?? true,
        outbound: { allowPrivateAddresses: true },
      }),
    ],
  });
  const post = async (path: string, body: unknown) => {
    const response = await server.admin(path, { method: 'POST', body: JSON.stringify(body) });
    const json = await response.json();
    assert.equal(response.status, 201, `${path}: ${JSON.stringify(json)}`);
    return json;
  };
  await post('/admin/resources', {
    slug: 'example-mcp',
    display_name: 'Example MCP',
    uri: RESOURCE_URI,
    backend_kind: 'mint',
    scopes: [{ name: 'tools/read', description: 'Read tools' }],
  });
  const local = await post('/admin/users', { ...LOCAL_USER, role: 'user' });
  const client = await post('/admin/clients', {
    client_name: 'Test client',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    scope: 'tools/read',
  });
  return { ...server, idps: { acme, globex }, clientId: client.client_id, localUserId: local.id };
}

/** The link of a provider's button on a login page. */
export function buttonHref(page: Page, label: string): string {
  const match = new RegExp(`<a href="([^"]*)">Sign in with ${label}</a>`).exec(page.body);
  assert.ok(match, `no "${label}" button on ${page.url}: ${page.body.slice(0, 800)}`);
  return match[1]!.replace(/&amp;/g, '&');
}

/**
 * At the upstream: signs in as `login` and consents (whatever it shows) until it redirects back to us; returns
 * that callback URL.
 */
export async function throughUpstream(idp: UpstreamIdp, authorizeUrl: string, login: string, upstreamBrowser = new ScriptedBrowser(idp.issuer)): Promise<string> {
  let page = await upstreamBrowser.request(authorizeUrl);
  for (let step = 0; step < 6; step++) {
    if (!page.url.startsWith(idp.issuer)) return page.url;
    assert.equal(page.status, 200, `oidc-provider at ${page.url}: ${page.status} ${page.body.slice(0, 500)}`);
    page = /name="login"/.test(page.body) ? await upstreamBrowser.submit(page, { login, password: 'anything' }) : await upstreamBrowser.submit(page);
  }
  throw new Error(`oidc-provider did not redirect back: ${page.url}`);
}

export function authorizePath(fx: FederationFixture, state = 'client-state'): string {
  return `/oauth/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: fx.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'tools/read',
    resource: RESOURCE_URI,
    state,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCpdqg2ysvNIb89cHtu6XJdk',
    code_challenge_method: 'S256',
  })}`;
}

/**
 * From an authorization request to the page our server shows after the upstream sent the browser back (the consent
 * page, or an error page): our login page, the provider's button, the upstream, the callback.
 */
export async function federatedLogin(
  fx: FederationFixture,
  browser: ScriptedBrowser,
  idp: 'acme' | 'globex',
  login: string,
  options: { start?: string; label?: string } = {},
): Promise<{ page: Page; callbackUrl: string }> {
  const loginPage = await browser.request(options.start ?? authorizePath(fx));
  assert.equal(loginPage.status, 200, loginPage.body);
  const toUpstream = await browser.request(buttonHref(loginPage, options.label ?? (idp === 'acme' ? 'Acme ID' : 'Globex SSO')));
  assert.equal(toUpstream.status, 302, `expected a redirect upstream: ${toUpstream.status} ${JSON.stringify(fx.logs.slice(-4))}`);
  const callbackUrl = await throughUpstream(fx.idps[idp], toUpstream.url, login);
  return { page: await browser.request(callbackUrl), callbackUrl };
}

/** Waits for queued audit events, then reads them through the admin API. */
export async function auditEvents(fx: FederationFixture, action: string): Promise<{ action: string; user_id: string | null; detail: Record<string, unknown> }[]> {
  await fx.server.runtimeApi().audit.flush();
  const response = await fx.admin(`/admin/audit?${new URLSearchParams({ action })}`);
  assert.equal(response.status, 200);
  return (await response.json()).events;
}
