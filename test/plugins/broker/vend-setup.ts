/**
 * The vend tests' world: an AuthPlane with the broker (master key in its environment), a mint resource M whose MCP
 * server runs as client `agent`, a broker resource B (`mail-mcp`) whose provider is given by the test, the user's
 * chat app, the user's token for M from the real authorization code flow through the scripted browser, and the
 * broker's grant store over the server's database with a box made from the same master key (what the connect flow
 * writes; until it exists the tests write it themselves, exactly as the broker stores it).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import Provider from 'oidc-provider';
import { broker, clientCredentials, fronting, tokenExchange } from 'authplane/plugins';
import { authorizeUrl as upstreamAuthorizeUrl, createPkce } from '../../../plugins/broker/authorize-url.js';
import { createSecretBox } from '../../../plugins/broker/crypto/create-box.js';
import { GrantStore } from '../../../plugins/broker/grants/store.js';
import type { BrokerProvider, OAuthProvider, UpstreamTokens } from '../../../plugins/broker/types.js';
import { UpstreamClient } from '../../../plugins/broker/upstream-client.js';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { testClock, type TestClock } from '../../helpers/clock.js';
import { oauthServer, RESOURCE_URI, type OAuthFixture } from '../oauth/setup.js';
import { basicAuth } from '../client-credentials/setup.js';
import { tokenRequest } from '../oauth/flow.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE, userToken as authorizedUserToken, type Confidential, type TokenBody } from '../token-exchange/setup.js';
import { encryptionOptions, recordingLog } from './crypto-setup.js';
import { MASTER_KEY, type BrokerOptions, type Storage } from './setup.js';

export { ACCESS_TOKEN_TYPE, RESOURCE_URI, TOKEN_EXCHANGE, type Confidential, type TokenBody };

export const MAIL_URI = 'https://mail.example.com/mcp';
/** The broker resource's scopes, the upstream scopes each maps to, and M's own. */
export const MAIL_SCOPES = [
  { name: 'profile:read', upstream: ['profile'] },
  { name: 'inbox:read', upstream: ['email'] },
];
export const M_SCOPES = ['tools/read', 'tools/write', 'profile:read', 'inbox:read'];
export const UPSTREAM_SECRET = `upstream-client-secret-${randomBytes(8).toString('hex')}`;
/** Where oidc-provider sends the browser back; the tests read the code from that redirect and do not follow it. */
export const UPSTREAM_REDIRECT_URI = 'http://127.0.0.1:9/connect/oidc/callback';

export interface VendFixture extends OAuthFixture {
  clock: TestClock;
  /** The user's chat app: gets the user's token for M. */
  app: Confidential;
  /** M's MCP server: runs as this client (M's `policy.runtime.client_ids`), may exchange for B. */
  agent: Confidential;
  provider: BrokerProvider;
  /** The broker's grants, over the server's database, sealed with a box from the server's master key. */
  grants: GrantStore;
  /** Every response body the tests got from the server, for the leak check. */
  bodies: string[];
  /** The user's access token for M, through login and consent in the scripted browser. */
  userToken(scope?: string): Promise<TokenBody>;
  /** A token exchange by `client` (default the agent) for the broker resource. */
  vend(subjectToken: string, params?: Record<string, string>, client?: Confidential): Promise<Response>;
  /** The audit events of one action, straight from the database once the bus has flushed. */
  audit(action: string): Promise<{ action: string; user_id: string | null; client_id: string | null; detail: Record<string, unknown> }[]>;
}

export async function vendServer(
  t: TestContext,
  options: { provider: Record<string, unknown>; env?: NodeJS.ProcessEnv; broker?: BrokerOptions; storage?: Storage; clock?: TestClock },
): Promise<VendFixture> {
  const clock = options.clock ?? testClock();
  const fx = await oauthServer(t, {
    now: clock.now,
    storage: options.storage,
    // Long enough that the user's token outlives the upstream token lifetimes the tests move past.
    config: { tokens: { accessTokenTtl: 3600 } },
    env: { AUTHPLANE_BROKER_MASTER_KEY: MASTER_KEY, UPSTREAM_CLIENT_SECRET: UPSTREAM_SECRET, ...options.env },
    extra: [clientCredentials(), fronting(), tokenExchange(), broker({ outbound: { allowPrivateAddresses: true }, ...options.broker })],
  });
  const bodies: string[] = [];
  const admin = async (path: string, method: string, body: unknown, status: number) => {
    const response = await fx.admin(path, { method, body: JSON.stringify(body) });
    const text = await response.text();
    assert.equal(response.status, status, `${method} ${path}: ${text}`);
    return JSON.parse(text);
  };
  const confidential = async (name: string, grantTypes: string[]) =>
    (await fx.createClient({
      client_name: name,
      grant_types: grantTypes,
      token_endpoint_auth_method: 'client_secret_basic',
      scope: M_SCOPES.join(' '),
    })) as Confidential;
  const app = await confidential('Chat app', ['authorization_code']);
  const agent = await confidential('Mail tools MCP server', [TOKEN_EXCHANGE]);
  // The operator gives M the broker resource's scope names, so the user consents to them for the app at M.
  await admin(`/admin/resources/${fx.resourceId}`, 'PATCH', {
    scopes: M_SCOPES.map((name) => ({ name })),
    policy: { runtime: { client_ids: [agent.client_id] } },
  }, 200);
  const provider = (await admin('/admin/broker-providers', 'POST', options.provider, 201)) as BrokerProvider;
  await admin('/admin/resources', 'POST', {
    slug: 'mail-mcp',
    display_name: 'Mail MCP',
    uri: MAIL_URI,
    backend_kind: 'broker',
    broker_provider_id: provider.slug,
    scopes: MAIL_SCOPES,
    policy: { exchange: { allowed_client_ids: [agent.client_id] } },
  }, 201);

  const box = await createSecretBox(encryptionOptions(), { AUTHPLANE_BROKER_MASTER_KEY: MASTER_KEY }, { issuer: fx.url, log: recordingLog() });
  const grants = new GrantStore(() => fx.server.runtimeApi(), () => box);

  return {
    ...fx,
    clock,
    app,
    agent,
    provider,
    grants,
    bodies,
    userToken: (scope = 'tools/read profile:read') => authorizedUserToken(fx, app, scope),
    async vend(subjectToken, params = {}, client = agent) {
      const response = await tokenRequest(
        fx,
        { grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN_TYPE, subject_token: subjectToken, resource: MAIL_URI, ...params },
        { authorization: basicAuth(client) },
      );
      const text = await response.clone().text();
      bodies.push(text);
      return response;
    },
    async audit(action) {
      await fx.server.runtimeApi().audit.flush();
      const rows = await fx.server.db('audit_events').where({ action }).orderBy('time');
      return rows.map((r: { action: string; user_id: string | null; client_id: string | null; detail: string | Record<string, unknown> }) => ({
        ...r,
        detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail,
      }));
    },
  };
}

/** The recipe of docs/broker.md for a generic OAuth 2 provider, at `origin` (oidc-provider, or a loopback endpoint). */
export function oauthProviderBody(origin: string, paths: { authorize?: string; token?: string } = {}): Record<string, unknown> {
  return {
    slug: 'oidc',
    display_name: 'Upstream Mail',
    protocol: 'oauth',
    config: {
      client_id: 'authplane-broker',
      client_secret_ref: 'UPSTREAM_CLIENT_SECRET',
      authorize_url: `${origin}${paths.authorize ?? '/auth'}`,
      token_url: `${origin}${paths.token ?? '/token'}`,
      authorize_params: { prompt: 'consent' },
      default_scopes: ['openid', 'offline_access'],
    },
  };
}

export interface UpstreamOidc {
  issuer: string;
  /** Token endpoint requests oidc-provider answered, by grant type and result. */
  calls: { grantType: string; ok: boolean; error?: string }[];
  /** Signs in and consents at oidc-provider, redeems the code: the tokens the connect flow would store. */
  authorize(provider: OAuthProvider, scopes: string[]): Promise<UpstreamTokens>;
  /** A refresh at oidc-provider's token endpoint, as any client of it would make one (plain HTTP). */
  refresh(refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

/**
 * oidc-provider as the upstream: authorization code with PKCE, refresh tokens rotated on every use (and a reused one
 * revoking the whole grant, its own reuse detection), `profile` and `email` scopes, access tokens living
 * `accessTokenTtl` seconds by its own (real) clock.
 */
export async function startUpstreamOidc(t: TestContext, clock: TestClock, accessTokenTtl = 600, redirectUris: string[] = [UPSTREAM_REDIRECT_URI]): Promise<UpstreamOidc> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const oidc = new Provider(issuer, {
    clients: [{
      client_id: 'authplane-broker',
      client_secret: UPSTREAM_SECRET,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    ttl: { AccessToken: accessTokenTtl },
  });
  const calls: UpstreamOidc['calls'] = [];
  oidc.on('grant.success', (ctx) => calls.push({ grantType: String(ctx.oidc.params?.grant_type), ok: true }));
  oidc.on('grant.error', (ctx, err) => calls.push({ grantType: String(ctx.oidc.params?.grant_type), ok: false, error: err.error }));
  http.on('request', oidc.callback());

  // What the connect flow will do: the broker's authorize URL, the broker's upstream client with the server's clock.
  const upstream = new UpstreamClient({
    outbound: { timeoutMs: 30_000, maxResponseBytes: 65536, allowPrivateAddresses: true },
    environmentVariable: (name) => (name === 'UPSTREAM_CLIENT_SECRET' ? UPSTREAM_SECRET : undefined),
    now: clock.now,
  });
  return {
    issuer,
    calls,
    async authorize(provider, scopes) {
      const pkce = createPkce();
      const state = randomBytes(16).toString('base64url');
      const browser = new ScriptedBrowser(issuer);
      const login = await browser.request(upstreamAuthorizeUrl(provider, { redirectUri: UPSTREAM_REDIRECT_URI, state, codeChallenge: pkce.challenge, scopes }));
      assert.equal(login.status, 200, login.body.slice(0, 500));
      const consent = await browser.submit(login, { login: 'ada', password: 'anything' });
      assert.equal(consent.status, 200, consent.body.slice(0, 500));
      const back = new URL((await browser.submit(consent)).url);
      assert.equal(back.searchParams.get('state'), state);
      const code = back.searchParams.get('code');
      assert.ok(code, back.toString());
      return upstream.exchangeCode(provider, { code, codeVerifier: pkce.verifier, redirectUri: UPSTREAM_REDIRECT_URI, scopes });
    },
    async refresh(refreshToken) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`authplane-broker:${UPSTREAM_SECRET}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

/** The consent_required problem a refused vend answers with. */
export interface ConsentProblem {
  error: string;
  error_description: string;
  consent_url: string;
  cause: string;
  type: string;
  title: string;
  detail: string;
  status: number;
}

export async function consentRequired(response: Response): Promise<ConsentProblem> {
  const body = (await response.json()) as ConsentProblem;
  assert.equal(response.status, 400, JSON.stringify(body));
  assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  assert.equal(body.error, 'consent_required', JSON.stringify(body));
  return body;
}
