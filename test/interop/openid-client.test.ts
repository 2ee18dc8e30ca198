/**
 * openid-client 6 (panva's certified OAuth 2 / OpenID client, on oauth4webapi; from the interop tools package) as a
 * generic OAuth client of AuthPlane running as `authserver serve`: dynamic registration, the authorization code
 * flow with PKCE, `resource` and the RFC 9207 `iss` it checks, a token the protected MCP server accepts, refresh
 * with rotation, DPoP-bound tokens (RFC 9449) through its DPoP handle, revocation, and a client ID metadata document
 * URL as client_id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import { ScriptedBrowser } from '../helpers/browser.js';
import { cimdDocument, REDIRECT_URL, SCOPES, startHttpsDocumentHost, startInteropServer, USER, type InteropServer } from './harness.js';
import { interopTools } from './tools.js';

interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  scope?: string;
}
type Config = { serverMetadata(): Record<string, unknown>; clientMetadata(): Record<string, unknown> };

/** The parts of openid-client used here (loaded at run time from the tools package). */
interface OpenIdClient {
  dynamicClientRegistration(server: URL, metadata: Record<string, unknown>, auth?: unknown, options?: { execute?: unknown[] }): Promise<Config>;
  discovery(server: URL, clientId: string, metadata?: Record<string, unknown>, auth?: unknown, options?: { execute?: unknown[] }): Promise<Config>;
  None(): unknown;
  allowInsecureRequests: unknown;
  randomPKCECodeVerifier(): string;
  calculatePKCECodeChallenge(verifier: string): Promise<string>;
  randomState(): string;
  buildAuthorizationUrl(config: Config, parameters: Record<string, string>): URL;
  authorizationCodeGrant(config: Config, current: URL, checks: { pkceCodeVerifier: string; expectedState: string }, parameters?: Record<string, string>, options?: { DPoP?: unknown }): Promise<Tokens>;
  refreshTokenGrant(config: Config, refreshToken: string, parameters?: Record<string, string>, options?: { DPoP?: unknown }): Promise<Tokens>;
  randomDPoPKeyPair(alg?: string): Promise<CryptoKeyPair>;
  getDPoPHandle(config: Config, keyPair: CryptoKeyPair): unknown;
  tokenRevocation(config: Config, token: string, parameters?: Record<string, string>): Promise<void>;
}

const load = async () => (await import((await interopTools()).openidClient)) as OpenIdClient;

/** Authorization code with PKCE for the MCP server's resource; the scripted browser logs in and approves. */
async function authorize(oc: OpenIdClient, server: InteropServer, config: Config, options: { DPoP?: unknown } = {}): Promise<{ tokens: Tokens; url: URL }> {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URL,
    scope: SCOPES.join(' '),
    resource: server.mcp.url,
    code_challenge: await oc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const browser = new ScriptedBrowser(server.url);
  const consent = await browser.login(await browser.request(url.toString()), USER.email, USER.password);
  const callback = new URL((await browser.consent(consent, 'allow')).url);
  // openid-client checks state, and iss against the discovered issuer (RFC 9207), before redeeming the code.
  const tokens = await oc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }, { resource: server.mcp.url }, options);
  return { tokens, url };
}

async function callWhoami(server: InteropServer, accessToken: string): Promise<Response> {
  return fetch(server.mcp.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  });
}

test('openid-client registers with DCR, authorizes with PKCE and iss checked, calls the MCP server, refreshes with rotation and revokes', async (t) => {
  const oc = await load();
  const server = await startInteropServer(t, { extraPlugins: ['revocation'] });
  const config = await oc.dynamicClientRegistration(
    new URL(server.url),
    { client_name: 'AuthPlane interop (openid-client)', redirect_uris: [REDIRECT_URL], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' },
    oc.None(),
    { execute: [oc.allowInsecureRequests] },
  );
  assert.equal(config.serverMetadata().issuer, server.url);
  assert.equal(config.serverMetadata().authorization_response_iss_parameter_supported, true);

  const { tokens } = await authorize(oc, server, config);
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.deepEqual(decodeJwt(tokens.access_token).aud, [server.mcp.url]);
  const whoami = await callWhoami(server, tokens.access_token);
  assert.equal(whoami.status, 200);
  assert.deepEqual((await whoami.json()).result.content, [{ type: 'text', text: server.userId }]);

  assert.ok(tokens.refresh_token);
  const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token, { resource: server.mcp.url });
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'rotated');
  assert.equal((await callWhoami(server, refreshed.access_token)).status, 200);

  await oc.tokenRevocation(config, refreshed.refresh_token!, { token_type_hint: 'refresh_token' });
  await assert.rejects(oc.refreshTokenGrant(config, refreshed.refresh_token!), (err: Error & { error?: string }) => err.error === 'invalid_grant');
});

test('openid-client gets DPoP-bound tokens through its DPoP handle, on the code and on refresh', async (t) => {
  const oc = await load();
  const server = await startInteropServer(t, { extraPlugins: ['dpop'] });
  const config = await oc.dynamicClientRegistration(
    new URL(server.url),
    { client_name: 'AuthPlane interop (openid-client, DPoP)', redirect_uris: [REDIRECT_URL], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' },
    oc.None(),
    { execute: [oc.allowInsecureRequests] },
  );
  const keyPair = await oc.randomDPoPKeyPair('ES256');
  const thumbprint = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  const DPoP = oc.getDPoPHandle(config, keyPair);
  const { tokens } = await authorize(oc, server, config, { DPoP });
  assert.equal(tokens.token_type.toLowerCase(), 'dpop');
  assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt: thumbprint });
  const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token!, {}, { DPoP });
  assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  assert.deepEqual(decodeJwt(refreshed.access_token).cnf, { jkt: thumbprint });
});

test('openid-client with a client ID metadata document URL as client_id (CIMD)', async (t) => {
  const oc = await load();
  const server = await startInteropServer(t);
  const host = await startHttpsDocumentHost(t);
  const metadataUrl = host.serve('/oauth/openid-client.json', cimdDocument('openid-client'));
  const config = await oc.discovery(new URL(server.url), metadataUrl, { token_endpoint_auth_method: 'none' }, oc.None(), { execute: [oc.allowInsecureRequests] });
  const { tokens } = await authorize(oc, server, config);
  assert.equal(decodeJwt(tokens.access_token).client_id, metadataUrl);
  assert.equal((await callWhoami(server, tokens.access_token)).status, 200);
  assert.ok(host.hits('/oauth/openid-client.json') >= 1, 'AuthPlane fetched the document');
});
