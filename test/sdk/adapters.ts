/**
 * What the adapter tests share: AuthPlane with DCR (in process), one of the examples under examples/ running as a
 * child process exactly as its README line starts it (registered as a resource at its loopback URL), and an OAuth
 * client provider for the official MCP SDK client that registers itself (DCR) and whose "user" is the scripted
 * browser (login and consent through the real pages).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { clientCredentials, dcr, dpop, introspection, revocation } from 'authplane/plugins';
import { createOAuthClient } from '@authplane/sdk';
import { ScriptedBrowser } from '../helpers/browser.js';
import { loginAndConsent, memoryProvider, type ProviderState } from '../helpers/mcp-sdk-provider.js';
import { forge, goodClaims } from './fixture.js';
import { connectThroughMcpRemote } from '../interop/mcp-remote.js';
import { interopTools } from '../interop/tools.js';
import { CHILD_WAIT_MS, freePort, outputTail, REPO_ROOT } from '../helpers/server.js';
import { oauthServer, USER, type OAuthFixture } from '../plugins/oauth/setup.js';

export type Example = 'express' | 'hono' | 'fastmcp' | 'mcp-server';

/** AuthPlane with what the adapter tests use: DCR for the MCP clients, client credentials and DPoP for raw calls. */
export function authplaneWithDcr(t: TestContext): Promise<OAuthFixture> {
  return oauthServer(t, { extra: [clientCredentials(), introspection(), revocation(), dpop(), dcr()] });
}

export interface RunningExample {
  /** The MCP endpoint, also the resource identifier and the tokens' audience. */
  url: string;
  prmUrl: string;
  output(): string;
}

/** Registers the notes resource for a fresh port and starts `examples/<name>/server.ts` on it (loopback only). */
export async function startExample(t: TestContext, fx: OAuthFixture, name: Example, slug = `notes-${name}`): Promise<RunningExample> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({
      slug,
      display_name: `Notes (${name})`,
      uri: url,
      scopes: [
        { name: 'notes/read', description: 'Read your notes' },
        { name: 'notes/write', description: 'Add notes' },
      ],
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const child = spawn(process.execPath, ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, `examples/${name}/server.ts`)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, AUTHPLANE_ISSUER: fx.url, PORT: String(port), HOST: '127.0.0.1', MCP_RESOURCE: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`waited ${CHILD_WAIT_MS / 1000} s for examples/${name} to log "listening"; it did not.\n${outputTail('its output', output)}`)),
      CHILD_WAIT_MS,
    );
    child.stderr.on('data', (d) => {
      output += d;
      if (output.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`examples/${name} exited with code ${code} before listening.\n${outputTail('its output', output)}`)));
  });
  return { url, prmUrl: `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`, output: () => output };
}

export const mcpHeaders = (token?: string, scheme = 'Bearer'): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(token ? { authorization: `${scheme} ${token}` } : {}),
});

/** A stateless JSON-RPC call (every example also answers without `initialize` first). */
export function rpc(url: string, method: string, params: Record<string, unknown>, token?: string, extraHeaders: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { ...mcpHeaders(token), ...extraHeaders },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
}

/**
 * An OAuthClientProvider that registers through DCR, as a fresh MCP client does. Only `authorization_code`: with a
 * refresh token the SDK client (1.32) answers a 403 step-up by refreshing, which cannot widen the scope.
 */
export function dcrProvider(
  fx: OAuthFixture,
  redirectUri = 'http://127.0.0.1:8765/callback',
  grantTypes = ['authorization_code'],
): { provider: OAuthClientProvider; state: ProviderState } {
  return memoryProvider({
    redirectUri,
    metadata: { client_name: 'SDK adapter test client', token_endpoint_auth_method: 'none', grant_types: grantTypes, response_types: ['code'] },
    authorize: loginAndConsent(new ScriptedBrowser(fx.url), USER),
  });
}

/** A confidential client for the notes resources (client_credentials), as the README walkthrough registers one. */
export async function notesBot(fx: OAuthFixture): Promise<{ clientId: string; clientSecret: string }> {
  const created = await fx.createClient({
    client_name: 'Notes bot',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'notes/read notes/write',
  });
  return { clientId: created.client_id, clientSecret: created.client_secret! };
}

/** A DPoP key and proofs made with jose, independently of the SDK. */
export async function dpopKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    proof: (htu: string, claims: Record<string, unknown> = {}) =>
      new SignJWT({ htm: 'POST', htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(privateKey),
  };
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * The raw HTTP half, the same for every adapter: the metadata, the 401 that points at it, a token for another
 * resource refused, a read token calling a read tool, the 403 step-up for add_note (whose handler never runs), a
 * write token adding the note, and a DPoP-bound token verified against its proof.
 */
export async function rawHttpScenario(t: TestContext, fx: OAuthFixture, mcp: RunningExample): Promise<void> {
  const bot = await notesBot(fx);
  const client = createOAuthClient({ issuer: fx.url, ...bot });
  const text = async (response: Response) => {
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    return (body.result.content as { text: string }[]).map((c) => c.text).join('\n');
  };

  await t.test('the Protected Resource Metadata sits at the RFC 9728 path of the MCP endpoint', async () => {
    const response = await fetch(mcp.prmUrl);
    assert.equal(response.status, 200);
    const doc = await response.json();
    assert.equal(doc.resource, mcp.url);
    assert.deepEqual(doc.authorization_servers, [fx.url]);
    assert.deepEqual(doc.scopes_supported, ['notes/read', 'notes/write']);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
    assert.deepEqual(doc.dpop_signing_alg_values_supported, ['ES256', 'RS256', 'PS256', 'EdDSA']);
  });

  await t.test('GET on the MCP endpoint: 405, the server keeps no server-to-client stream', async () => {
    const response = await fetch(mcp.url, { headers: { accept: 'text/event-stream' } });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
  });

  await t.test('no token: 401 naming the metadata and the base scope', async () => {
    const response = await rpc(mcp.url, 'tools/list', {});
    assert.equal(response.status, 401, mcp.output());
    assert.equal(response.headers.get('www-authenticate'), `Bearer resource_metadata="${mcp.prmUrl}", scope="notes/read"`);
  });

  await t.test('a token for another audience: 401 invalid_token', async () => {
    // Signed by AuthPlane's own key, perfect but for the audience.
    const foreign = await forge(fx, goodClaims(fx, { aud: ['https://other.example.com/mcp'], scope: 'notes/read' }));
    const response = await rpc(mcp.url, 'tools/list', {}, foreign);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate')!, new RegExp(`^Bearer resource_metadata="${mcp.prmUrl}", scope="notes/read", error="invalid_token"`));
  });

  await t.test('a notes/read token calls whoami; add_note gets the 403 step-up and does not run; a notes/write token adds', async () => {
    const reader = (await client.clientCredentials({ scope: 'notes/read', resource: mcp.url })).access_token;
    assert.equal(await text(await rpc(mcp.url, 'tools/call', { name: 'whoami', arguments: {} }, reader)), bot.clientId);
    const denied = await rpc(mcp.url, 'tools/call', { name: 'add_note', arguments: { text: 'hello' } }, reader);
    assert.equal(denied.status, 403, mcp.output());
    assert.equal(
      denied.headers.get('www-authenticate'),
      `Bearer resource_metadata="${mcp.prmUrl}", scope="notes/read notes/write", error="insufficient_scope", error_description="this call needs the scope notes/write"`,
    );
    assert.equal((await denied.json()).error, 'insufficient_scope');
    assert.equal(await text(await rpc(mcp.url, 'tools/call', { name: 'list_notes', arguments: {} }, reader)), '(no notes yet)');
    const writer = (await client.clientCredentials({ scope: 'notes/read notes/write', resource: mcp.url })).access_token;
    assert.equal(await text(await rpc(mcp.url, 'tools/call', { name: 'add_note', arguments: { text: 'hello' } }, writer)), 'added note #1');
    assert.equal(await text(await rpc(mcp.url, 'tools/call', { name: 'list_notes', arguments: {} }, reader)), `${bot.clientId}: hello`);
  });

  await t.test('a DPoP-bound token is accepted with its proof and refused as a bearer token or with a replayed proof', async () => {
    const key = await dpopKey();
    const tokenResponse = await fetch(`${fx.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${bot.clientId}:${bot.clientSecret}`).toString('base64')}`,
        dpop: await key.proof(`${fx.url}/oauth/token`),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'notes/read', resource: mcp.url }),
    });
    const { access_token: token, token_type } = await tokenResponse.json();
    assert.equal(token_type, 'DPoP');
    const proof = await key.proof(mcp.url, { ath: ath(token) });
    const accepted = await rpc(mcp.url, 'tools/call', { name: 'whoami', arguments: {} }, undefined, { authorization: `DPoP ${token}`, dpop: proof });
    assert.equal(await text(accepted), bot.clientId);
    const replayed = await rpc(mcp.url, 'tools/call', { name: 'whoami', arguments: {} }, undefined, { authorization: `DPoP ${token}`, dpop: proof });
    assert.equal(replayed.status, 401);
    assert.match(replayed.headers.get('www-authenticate')!, /^DPoP resource_metadata="[^"]+", scope="notes\/read", error="invalid_dpop_proof", error_description="[^"]*", algs="ES256 RS256 PS256 EdDSA"$/);
    const asBearer = await rpc(mcp.url, 'tools/call', { name: 'whoami', arguments: {} }, token);
    assert.equal(asBearer.status, 401);
    assert.match(asBearer.headers.get('www-authenticate')!, /^DPoP .*error="invalid_token"/);
  });
}

/**
 * The official MCP SDK client against the example: 401 → metadata → DCR → login and consent for the base scope
 * named in the challenge → a tool call; then add_note's 403 makes it re-authorize for both scopes, and the retried
 * call adds the note.
 */
export async function officialClientScenario(t: TestContext, fx: OAuthFixture, mcp: RunningExample): Promise<void> {
  const { provider, state } = dcrProvider(fx);
  const first = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  await assert.rejects(new Client({ name: 'adapter-test', version: '1.0.0' }).connect(first), UnauthorizedError);
  assert.ok(state.client?.client_id, 'the client registered itself (DCR)');
  assert.equal(state.authorizationUrls[0]!.searchParams.get('scope'), 'notes/read');
  assert.equal(state.authorizationUrls[0]!.searchParams.get('resource'), mcp.url);
  await first.finishAuth(state.code!);
  assert.equal(state.tokens?.scope, 'notes/read');

  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  const client = new Client({ name: 'adapter-test', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  assert.deepEqual((await client.listTools()).tools.map((tool) => tool.name).sort(), ['add_note', 'list_notes', 'whoami']);
  assert.deepEqual((await client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: fx.userId }]);

  await assert.rejects(client.callTool({ name: 'add_note', arguments: { text: 'from the client' } }), UnauthorizedError);
  assert.equal(state.authorizationUrls.length, 2, 'a second authorization was started');
  assert.equal(state.authorizationUrls[1]!.searchParams.get('scope'), 'notes/read notes/write');
  await transport.finishAuth(state.code!);
  assert.equal(state.tokens?.scope, 'notes/read notes/write');
  assert.deepEqual((await client.callTool({ name: 'add_note', arguments: { text: 'from the client' } })).content, [{ type: 'text', text: 'added note #1' }]);
  assert.deepEqual((await client.callTool({ name: 'list_notes', arguments: {} })).content, [{ type: 'text', text: `${fx.userId}: from the client` }]);
}

/**
 * mcp-remote against the example, as Claude Desktop runs it: DCR, login and consent in the scripted browser, tools
 * listed and called through the stdio proxy; add_note's 403 makes it re-authorize for the wider scope (a second
 * login in the browser) and retry, so the call succeeds without the MCP client seeing the step-up.
 */
export async function mcpRemoteScenario(t: TestContext, fx: OAuthFixture, mcp: RunningExample): Promise<void> {
  const session = await connectThroughMcpRemote(t, mcp.url, { user: USER });
  const approvals = session.approvals;
  assert.deepEqual((await session.client.listTools()).tools.map((tool) => tool.name).sort(), ['add_note', 'list_notes', 'whoami'], session.report());
  assert.deepEqual((await session.client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: fx.userId }]);
  assert.equal(approvals(), 1, session.report());
  const added = await session.client.callTool({ name: 'add_note', arguments: { text: 'via mcp-remote' } });
  assert.deepEqual(added.content, [{ type: 'text', text: 'added note #1' }], session.report());
  assert.equal(approvals(), 2, `the step-up went through a second authorization\n${session.report()}`);
  assert.match(session.report(), /scope=notes%2Fread\+notes%2Fwrite\+offline_access&prompt=consent/, 'the second authorization asked for both scopes (and offline_access, with prompt=consent)');
  assert.deepEqual((await session.client.callTool({ name: 'list_notes', arguments: {} })).content, [{ type: 'text', text: `${fx.userId}: via mcp-remote` }]);
  const { clients } = (await (await fx.admin('/admin/clients')).json()) as { clients: { registration_source: string; redirect_uris: string[] }[] };
  assert.deepEqual(clients.filter((c) => c.registration_source === 'dcr').map((c) => c.redirect_uris), [[session.callbackUrl]], 'mcp-remote registered itself');
}

/**
 * The MCP SDK client 1.32 quirk docs/compatibility.md lists: holding a refresh token, it answers a 403
 * insufficient_scope by refreshing (which cannot widen the scope), retries, gets the same 403 and gives up without
 * ever asking the user for the wider scope.
 */
export async function officialClientRefreshQuirk(t: TestContext, fx: OAuthFixture, mcp: RunningExample): Promise<void> {
  const { provider, state } = dcrProvider(fx, undefined, ['authorization_code', 'refresh_token']);
  const first = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  await assert.rejects(new Client({ name: 'adapter-test', version: '1.0.0' }).connect(first), UnauthorizedError);
  await first.finishAuth(state.code!);
  assert.ok(state.tokens?.refresh_token, 'the client holds a refresh token');
  const client = new Client({ name: 'adapter-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
  t.after(() => client.close());
  const err = await client.callTool({ name: 'add_note', arguments: { text: 'x' } }).catch((e: unknown) => e);
  assert.ok(err instanceof Error, String(err));
  assert.match(err.message, /Server returned 403 after trying upscoping/);
  assert.equal(state.authorizationUrls.length, 1, 'no authorization for the wider scope was started');
  assert.equal(state.tokens?.scope, 'notes/read');
}

/** The parts of the MCP SDK v2 client (`@modelcontextprotocol/client`, from the interop tools package) used here. */
interface SdkV2 {
  Client: new (info: { name: string; version: string }) => {
    connect(transport: unknown): Promise<void>;
    callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<{ content: unknown }>;
    close(): Promise<void>;
  };
  StreamableHTTPClientTransport: new (url: URL, options: { authProvider: unknown }) => { finishAuth(params: URLSearchParams): Promise<void> };
}

/**
 * The MCP SDK v2 client against the example, holding a refresh token (the v1 quirk's setting): DCR, login, a tool
 * call, then add_note's 403 makes it re-authorize for both scopes (no refresh first), and the retry adds the note.
 */
export async function sdkV2StepUpScenario(t: TestContext, fx: OAuthFixture, mcp: RunningExample): Promise<void> {
  const sdk = (await import((await interopTools()).sdkV2)) as SdkV2;
  const { provider, state } = dcrProvider(fx, undefined, ['authorization_code', 'refresh_token']);
  const first = new sdk.StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  await assert.rejects(new sdk.Client({ name: 'adapter-test-v2', version: '1.0.0' }).connect(first), /unauthorized/i);
  // The whole callback: the v2 client checks its `iss` (RFC 9207).
  await first.finishAuth(state.callback!.searchParams);
  assert.ok(state.tokens?.refresh_token, 'the client holds a refresh token');
  const transport = new sdk.StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  const client = new sdk.Client({ name: 'adapter-test-v2', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  assert.deepEqual((await client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: fx.userId }]);
  await assert.rejects(client.callTool({ name: 'add_note', arguments: { text: 'from v2' } }), /unauthorized/i);
  assert.equal(state.authorizationUrls.length, 2, 'a second authorization was started');
  assert.deepEqual(state.authorizationUrls[1]!.searchParams.get('scope')!.split(' ').filter((s) => s !== 'offline_access'), ['notes/read', 'notes/write']);
  await transport.finishAuth(state.callback!.searchParams);
  assert.deepEqual((await client.callTool({ name: 'add_note', arguments: { text: 'from v2' } })).content, [{ type: 'text', text: 'added note #1' }]);
}
