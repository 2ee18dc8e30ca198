/**
 * The connect flow's fixture: a broker server (users, local login) whose issuer is its own URL, oidc-provider on
 * loopback as the real upstream (authorization code with PKCE, refresh tokens rotating), a provider `oidc` naming
 * it, broker resources, two users, and helpers that drive a browser through login, the upstream's login and consent
 * pages, and back.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import Provider from 'oidc-provider';
import { LocalSecretBox } from '../../../plugins/broker/crypto/local-box.js';
import { openGrantTokens } from '../../../plugins/broker/crypto/grant-seal.js';
import type { UpstreamTokens } from '../../../plugins/broker/types.js';
import { ScriptedBrowser, type Page } from '../../helpers/browser.js';
import type { TestServer } from '../../helpers/server.js';
import { createProvider, json, MASTER_KEY, startBrokerServer, type Storage } from './setup.js';

export const OIDC_SECRET = `oidc-client-secret-${randomBytes(8).toString('hex')}`;
export const RETURN_URL = 'https://app.example.com/connected';
export const USERS = {
  ada: { email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada' },
  bob: { email: 'bob@example.com', password: 'another horse battery staple', name: 'Bob' },
} as const;

export interface ConnectFixture extends TestServer {
  /** oidc-provider's issuer. */
  upstream: string;
  providerId: string;
  userIds: Record<keyof typeof USERS, string>;
  callbackUrl: string;
}

/** oidc-provider with one confidential client whose redirect URI is the broker's connect callback. */
async function startOidcProvider(t: TestContext, redirectUri: string): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'authplane-broker',
        client_secret: OIDC_SECRET,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    cookies: { keys: [randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    ttl: { AccessToken: 3600 },
    scopes: ['openid', 'offline_access', 'profile'],
  });
  http.on('request', provider.callback());
  return issuer;
}

export async function connectFixture(
  t: TestContext,
  options: { storage?: Storage; now?: () => number; dir?: string; extra?: NonNullable<Parameters<typeof startBrokerServer>[1]>['extra'] } = {},
): Promise<ConnectFixture> {
  const server = await startBrokerServer(t, {
    exactIssuer: true,
    broker: { outbound: { allowPrivateAddresses: true } },
    env: { OIDC_CLIENT_SECRET: OIDC_SECRET },
    ...options,
  });
  const callbackUrl = `${server.url}/connect/oidc/callback`;
  const upstream = await startOidcProvider(t, callbackUrl);
  const post = async (path: string, body: unknown) => {
    const response = await server.admin(path, json(body));
    const answer = await response.json();
    assert.equal(response.status, 201, `${path}: ${JSON.stringify(answer)}`);
    return answer;
  };
  // The recipe of docs/broker.md for a generic OAuth 2 provider.
  const provider = await createProvider(server, {
    slug: 'oidc',
    display_name: 'Acme ID',
    protocol: 'oauth',
    config: {
      client_id: 'authplane-broker',
      client_secret_ref: 'OIDC_CLIENT_SECRET',
      authorize_url: `${upstream}/auth`,
      token_url: `${upstream}/token`,
      authorize_params: { prompt: 'consent' },
      default_scopes: ['openid', 'offline_access'],
    },
  });
  await post('/admin/resources', {
    slug: 'files',
    display_name: 'Files MCP',
    uri: 'https://files.example.com/mcp',
    backend_kind: 'broker',
    broker_provider_id: 'oidc',
    scopes: [
      { name: 'files:read', upstream: ['openid', 'offline_access'] },
      { name: 'profile:read', upstream: ['openid', 'profile'] },
    ],
    policy: { connect: { allowed_return_urls: [RETURN_URL, 'https://app.example.com/other'] } },
  });
  const userIds = {
    ada: (await post('/admin/users', { ...USERS.ada, role: 'user' })).id as string,
    bob: (await post('/admin/users', { ...USERS.bob, role: 'user' })).id as string,
  };
  return { ...server, upstream, providerId: provider.id, userIds, callbackUrl };
}

export const connectPath = (params: Record<string, string> = {}, provider = 'oidc') =>
  `/connect/${provider}?${new URLSearchParams({ resource: 'files', return_url: RETURN_URL, ...params })}`;

/** A browser of ours signed in as `who` (through the login page). */
export async function signedIn(fx: ConnectFixture, who: keyof typeof USERS): Promise<ScriptedBrowser> {
  const browser = new ScriptedBrowser(fx.url);
  const after = await browser.login(await browser.request('/login'), USERS[who].email, USERS[who].password);
  assert.equal(after.status, 200, after.body);
  return browser;
}

/** Starts a connect in a signed-in browser: the redirect to the upstream's authorization endpoint. */
export async function startConnect(browser: ScriptedBrowser, path: string): Promise<Page> {
  const page = await browser.request(path);
  assert.equal(page.status, 302, `expected the redirect upstream, got ${page.status} at ${page.url}: ${page.body.slice(0, 500)}`);
  return page;
}

/**
 * Signs in and consents at oidc-provider (whatever it shows: login, consent, or consent only when its session is
 * still there) until it redirects to the broker's callback; returns that URL.
 */
export async function consentUpstream(fx: ConnectFixture, upstreamBrowser: ScriptedBrowser, authorizeUrl: string): Promise<string> {
  let page = await upstreamBrowser.request(authorizeUrl);
  for (let step = 0; step < 5; step++) {
    if (page.url.startsWith(fx.callbackUrl)) return page.url;
    assert.equal(page.status, 200, `oidc-provider at ${page.url}: ${page.status} ${page.body.slice(0, 500)}`);
    page = /name="login"/.test(page.body) ? await upstreamBrowser.submit(page, { login: 'alice', password: 'anything' }) : await upstreamBrowser.submit(page);
  }
  throw new Error(`oidc-provider did not redirect to the callback: ${page.url}`);
}

/** Follows oidc-provider's "abort" link (the person says no); returns the callback URL it redirects to. */
export async function refuseUpstream(fx: ConnectFixture, upstreamBrowser: ScriptedBrowser, authorizeUrl: string): Promise<string> {
  const page = await upstreamBrowser.request(authorizeUrl);
  const abort = /href="([^"]*\/abort)"/.exec(page.body)?.[1];
  assert.ok(abort, `no abort link on ${page.url}: ${page.body.slice(0, 500)}`);
  const back = await upstreamBrowser.request(new URL(abort, page.url).toString());
  assert.ok(back.url.startsWith(fx.callbackUrl), back.url);
  return back.url;
}

/** A whole connect for a signed-in browser: start, upstream consent, callback. Returns the callback's answer. */
export async function connect(fx: ConnectFixture, browser: ScriptedBrowser, path = connectPath(), upstreamBrowser = new ScriptedBrowser(fx.upstream)): Promise<{ done: Page; code: string }> {
  const started = await startConnect(browser, path);
  const callback = await consentUpstream(fx, upstreamBrowser, started.url);
  const done = await browser.request(callback);
  return { done, code: new URL(callback).searchParams.get('code') ?? '' };
}

export interface StoredGrant {
  id: string;
  user_id: string;
  provider_id: string;
  version: number;
  key_id: string;
  ciphertext: string;
  scopes: string;
}

export async function grantRows(fx: ConnectFixture): Promise<StoredGrant[]> {
  const rows = await fx.server.db('broker_grants').select('id', 'user_id', 'provider_id', 'version', 'key_id', 'ciphertext', 'scopes').orderBy('id');
  return rows.map((r: StoredGrant) => ({ ...r, version: Number(r.version) }));
}

/** A grant's tokens, decrypted as the server would, with the master key the test gave it. */
export function openGrant(row: StoredGrant): Promise<UpstreamTokens> {
  return openGrantTokens(new LocalSecretBox(Buffer.from(MASTER_KEY, 'base64')), row);
}

/** The `Cookie` header the browser sends. */
export const cookieHeader = (browser: ScriptedBrowser) => [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/** Waits for queued audit events to be written, then reads them through the admin API. */
export async function auditEvents(fx: ConnectFixture, query: Record<string, string>): Promise<{ action: string; actor_id: string; user_id: string; detail: Record<string, unknown> }[]> {
  await fx.server.runtimeApi().audit.flush();
  const response = await fx.admin(`/admin/audit?${new URLSearchParams(query)}`);
  assert.equal(response.status, 200);
  return (await response.json()).events;
}
