/** Registrations exactly as real MCP clients send them, each followed through to tokens. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { authorizeUrl, loggedInBrowser, pkce, tokenRequest } from '../oauth/flow.js';
import { RESOURCE_URI, type OAuthFixture } from '../oauth/setup.js';
import { dcrServer } from './setup.js';

/** Authorizes `clientId` at `redirectUri` with a logged-in browser and returns the code and its verifier. */
async function authorizeAt(fx: OAuthFixture, clientId: string, redirectUri: string, params: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const browser = await loggedInBrowser(fx);
  let page = await browser.request(authorizeUrl(fx, { client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, ...params }));
  if (page.status === 200 && page.body.includes('name="decision"')) page = await browser.consent(page, 'allow');
  assert.ok(page.status >= 300 && page.status < 400, `redirected to the client: ${page.status} ${page.body.slice(0, 300)}`);
  const callback = new URL(page.url);
  assert.equal(`${callback.protocol}//${callback.hostname}${callback.pathname}`, `${new URL(redirectUri).protocol}//${new URL(redirectUri).hostname}${new URL(redirectUri).pathname}`);
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code came back: ${page.url}`);
  return { code, verifier, callback };
}

test("Cursor's registration with a private-use, an https and a loopback redirect URI works at each of them", async (t) => {
  const fx = await dcrServer(t);
  const redirectUris = ['cursor://anysphere.cursor-mcp/oauth/callback', 'https://cursor.example.com/oauth/callback', 'http://127.0.0.1:8765/callback'];
  const response = await fx.register({
    client_name: 'Cursor',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  });
  const client = await response.json();
  assert.equal(response.status, 201, JSON.stringify(client));
  assert.deepEqual(client.redirect_uris, redirectUris);
  assert.equal(client.application_type, 'native', 'a private-use scheme makes it a native app');

  const { code, verifier, callback } = await authorizeAt(fx, client.client_id, redirectUris[0]!);
  assert.equal(callback.protocol, 'cursor:');
  const tokens = await tokenRequest(fx, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: redirectUris[0]!,
    client_id: client.client_id,
  });
  assert.equal(tokens.status, 200, await tokens.clone().text());
  const https = await authorizeAt(fx, client.client_id, redirectUris[1]!);
  assert.equal(https.callback.host, 'cursor.example.com');
});

test("MCP Inspector's native registration with an empty scope is accepted and needs no scope ceiling", async (t) => {
  const fx = await dcrServer(t);
  const response = await fx.register({
    redirect_uris: ['http://localhost:6274/oauth/callback'],
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'MCP Inspector',
    client_uri: 'https://github.com/modelcontextprotocol/inspector',
    application_type: 'native',
    scope: '',
  });
  const client = await response.json();
  assert.equal(response.status, 201, JSON.stringify(client));
  assert.equal(client.application_type, 'native');
  // RFC 8252 §7.3: the loopback port is chosen at run time.
  const { callback } = await authorizeAt(fx, client.client_id, 'http://localhost:51234/oauth/callback', { scope: 'tools/read tools/write' });
  assert.equal(callback.port, '51234');
});

test("claude.ai's registration with client_secret_post gets a non-expiring secret that redeems codes, with or without a trailing slash on the resource", async (t) => {
  const fx = await dcrServer(t);
  const redirectUri = 'https://claude.ai/api/mcp/auth_callback';
  const response = await fx.register({
    client_name: 'claudeai',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    scope: 'claudeai',
    redirect_uris: [redirectUri],
  });
  const client = await response.json();
  assert.equal(response.status, 201, JSON.stringify(client));
  assert.match(client.client_secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(client.client_secret_expires_at, 0);
  assert.equal(client.token_endpoint_auth_method, 'client_secret_post');

  for (const [atAuthorize, atToken] of [[`${RESOURCE_URI}/`, RESOURCE_URI], [RESOURCE_URI, `${RESOURCE_URI}/`]] as const) {
    const { code, verifier } = await authorizeAt(fx, client.client_id, redirectUri, { resource: atAuthorize });
    const redeem = (secret: string) =>
      tokenRequest(fx, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: redirectUri,
        client_id: client.client_id,
        client_secret: secret,
        resource: atToken,
      });
    const wrong = await redeem('not-the-secret');
    assert.equal(wrong.status, 401, 'the secret is checked');
    const ok = await redeem(client.client_secret);
    const tokens = await ok.json();
    assert.equal(ok.status, 200, JSON.stringify(tokens));
    assert.deepEqual(decodeJwt(tokens.access_token).aud, [RESOURCE_URI], `${atAuthorize} at authorize, ${atToken} at token`);
  }
});
