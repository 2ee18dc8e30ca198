/**
 * The upstream client against a real OAuth server: oidc-provider on loopback, driven through its login and consent
 * pages by the scripted browser, with the authorization request built by the broker (PKCE S256, the provider's
 * authorize_params) — code exchange, refresh with rotation, a rotated-out refresh token, a code used twice.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import Provider from 'oidc-provider';
import { authorizeUrl, createPkce } from '../../../plugins/broker/authorize-url.js';
import { UpstreamClient } from '../../../plugins/broker/upstream-client.js';
import { UpstreamError } from '../../../plugins/broker/upstream-error.js';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { createProvider, startBrokerServer } from './setup.js';

const REDIRECT_URI = 'http://127.0.0.1:9/connect/oidc/callback';
const SECRET = `oidc-client-secret-${randomBytes(8).toString('hex')}`;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

/** oidc-provider with two confidential clients (Basic and post authentication) that rotates every refresh token. */
async function startOidcProvider(t: TestContext): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const client = (id: string, method: string) => ({
    client_id: id,
    client_secret: SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: method,
  });
  const provider = new Provider(issuer, {
    clients: [client('broker-basic', 'client_secret_basic'), client('broker-post', 'client_secret_post')],
    cookies: { keys: [randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    rotateRefreshToken: () => true,
    ttl: { AccessToken: 3600 },
  });
  http.on('request', provider.callback());
  return issuer;
}

async function setup(t: TestContext, tokenAuthMethod: 'client_secret_basic' | 'client_secret_post') {
  const issuer = await startOidcProvider(t);
  const server = await startBrokerServer(t, { broker: { outbound: { allowPrivateAddresses: true } }, env: { OIDC_CLIENT_SECRET: SECRET } });
  // The recipe of docs/broker.md for a generic OAuth 2 provider; offline_access + prompt=consent for a refresh token.
  const provider = await createProvider(server, {
    slug: 'oidc',
    display_name: 'OIDC provider',
    protocol: 'oauth',
    config: {
      client_id: tokenAuthMethod === 'client_secret_basic' ? 'broker-basic' : 'broker-post',
      client_secret_ref: 'OIDC_CLIENT_SECRET',
      authorize_url: `${issuer}/auth`,
      token_url: `${issuer}/token`,
      authorize_params: { prompt: 'consent' },
      default_scopes: ['openid', 'offline_access'],
      token_auth_method: tokenAuthMethod,
    },
  });
  const upstream = new UpstreamClient({
    outbound: { timeoutMs: 30_000, maxResponseBytes: 65536, allowPrivateAddresses: true },
    environmentVariable: (name) => (name === 'OIDC_CLIENT_SECRET' ? SECRET : undefined),
    now: () => NOW,
  });
  /** Signs in and consents at the provider; returns the code its redirect carries, the state checked. */
  const authorize = async (challenge: string) => {
    const state = randomBytes(16).toString('base64url');
    const browser = new ScriptedBrowser(issuer);
    const login = await browser.request(authorizeUrl(provider, { redirectUri: REDIRECT_URI, state, codeChallenge: challenge }));
    assert.equal(login.status, 200, login.body.slice(0, 500));
    const consent = await browser.submit(login, { login: 'alice', password: 'anything' });
    assert.equal(consent.status, 200, consent.body.slice(0, 500));
    const back = await browser.submit(consent);
    const redirect = new URL(back.url);
    assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI, back.body);
    assert.equal(redirect.searchParams.get('state'), state);
    return redirect.searchParams.get('code')!;
  };
  return { provider, upstream, authorize };
}

for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
  test(`authorization code with PKCE and refresh with rotation against oidc-provider (${method})`, async (t) => {
    const { provider, upstream, authorize } = await setup(t, method);
    const pkce = createPkce();
    const code = await authorize(pkce.challenge);

    const tokens = await upstream.exchangeCode(provider, { code, codeVerifier: pkce.verifier, redirectUri: REDIRECT_URI, scopes: provider.config.default_scopes });
    assert.equal(typeof tokens.access_token, 'string');
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_at, NOW + 3600 * 1000, 'expires_in counted from the injected clock');
    assert.deepEqual([...tokens.scopes].sort(), ['offline_access', 'openid']);
    assert.equal(typeof tokens.refresh_token, 'string');

    const refreshed = await upstream.refresh(provider, tokens.refresh_token!, { grantedScopes: tokens.scopes });
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.equal(refreshed.refresh_token_rotated, true);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(refreshed.expires_at, NOW + 3600 * 1000);

    // The rotated-out refresh token is refused: the grant is gone as far as that token goes.
    const reused = await upstream.refresh(provider, tokens.refresh_token!).catch((err: unknown) => err);
    assert.ok(reused instanceof UpstreamError, String(reused));
    assert.equal(reused.reason, 'invalid_grant');
    assert.equal(reused.grantGone, true);
    assert.equal(reused.upstreamError, 'invalid_grant');
    assert.equal(reused.status, 400);
    assert.ok(!reused.message.includes(tokens.refresh_token!), reused.message);

    // A code is single-use.
    const again = await upstream.exchangeCode(provider, { code, codeVerifier: pkce.verifier, redirectUri: REDIRECT_URI }).catch((err: unknown) => err);
    assert.ok(again instanceof UpstreamError);
    assert.equal(again.reason, 'invalid_grant');
    assert.ok(!again.message.includes(code) && !again.message.includes(pkce.verifier), again.message);
  });
}

test('a wrong PKCE verifier is invalid_grant and a wrong client secret is invalid_client, neither quoting what was sent', async (t) => {
  const { provider, upstream, authorize } = await setup(t, 'client_secret_basic');
  const pkce = createPkce();
  const code = await authorize(pkce.challenge);
  const verifier = createPkce().verifier;
  const wrongVerifier = await upstream.exchangeCode(provider, { code, codeVerifier: verifier, redirectUri: REDIRECT_URI }).catch((err: unknown) => err);
  assert.ok(wrongVerifier instanceof UpstreamError);
  assert.equal(wrongVerifier.reason, 'invalid_grant');

  const wrongSecret = new UpstreamClient({
    outbound: { timeoutMs: 30_000, maxResponseBytes: 65536, allowPrivateAddresses: true },
    environmentVariable: () => 'not-the-secret',
    now: () => NOW,
  });
  const code2 = await authorize(pkce.challenge);
  const refused = await wrongSecret.exchangeCode(provider, { code: code2, codeVerifier: pkce.verifier, redirectUri: REDIRECT_URI }).catch((err: unknown) => err);
  assert.ok(refused instanceof UpstreamError);
  assert.equal(refused.reason, 'invalid_client');
  assert.equal(refused.status, 401);
  for (const sent of ['not-the-secret', code2, pkce.verifier]) assert.ok(!refused.message.includes(sent), refused.message);
});
