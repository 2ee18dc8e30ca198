/**
 * The MCP TypeScript SDK v2 client (`@modelcontextprotocol/client`, from the interop tools package): it checks the
 * metadata issuer against the URL it fetched and the `iss` of the authorization response (RFC 9207), so these flows
 * also prove we send both exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { cimdDocument, scriptedProvider, startHttpsDocumentHost, startInteropServer, type InteropServer, type ScriptedState } from './harness.js';
import { interopTools } from './tools.js';

/** The parts of the SDK v2 API used here (the package is loaded at run time from the tools package). */
interface SdkV2 {
  Client: new (info: { name: string; version: string }) => {
    connect(transport: unknown): Promise<void>;
    callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<{ content: unknown }>;
    close(): Promise<void>;
  };
  StreamableHTTPClientTransport: new (url: URL, options: { authProvider: unknown }) => { finishAuth(params: URLSearchParams): Promise<void> };
  auth(provider: unknown, options: { serverUrl: string; resourceMetadataUrl?: URL }): Promise<string>;
}

const loadSdk = async () => (await import((await interopTools()).sdkV2)) as SdkV2;
const prmUrl = (server: InteropServer) => new URL(`${server.url}/.well-known/oauth-protected-resource${new URL(server.mcp.url).pathname}`);

async function authorizeAndCallTool(t: { after(fn: () => unknown): void }, sdk: SdkV2, server: InteropServer, provider: unknown, state: ScriptedState) {
  const first = new sdk.Client({ name: 'authplane-interop-v2', version: '1.0.0' });
  const transport = new sdk.StreamableHTTPClientTransport(new URL(server.mcp.url), { authProvider: provider });
  await assert.rejects(first.connect(transport), /unauthorized/i, 'the first connection is refused and starts authorization');
  assert.ok(state.callback, 'the scripted browser came back with a callback');
  // The whole callback, so the SDK checks `iss` against the issuer it discovered (RFC 9207).
  await transport.finishAuth(state.callback!.searchParams);
  const client = new sdk.Client({ name: 'authplane-interop-v2', version: '1.0.0' });
  await client.connect(new sdk.StreamableHTTPClientTransport(new URL(server.mcp.url), { authProvider: provider }));
  t.after(() => client.close());
  return client.callTool({ name: 'whoami', arguments: {} });
}

test('the MCP SDK v2 client registers with DCR, authorizes with iss checked, calls a tool and refreshes', async (t) => {
  const sdk = await loadSdk();
  const server = await startInteropServer(t);
  const { provider, state } = scriptedProvider(server, 'MCP SDK v2');
  const result = await authorizeAndCallTool(t, sdk, server, provider, state);
  assert.deepEqual(result.content, [{ type: 'text', text: server.userId }]);
  const stored = await (await server.admin(`/admin/clients/${encodeURIComponent(state.client!.client_id)}`)).json();
  assert.equal(stored.registration_source, 'dcr');

  const before = state.tokens!;
  assert.equal(await sdk.auth(provider, { serverUrl: server.mcp.url, resourceMetadataUrl: prmUrl(server) }), 'AUTHORIZED');
  assert.notEqual(state.tokens!.refresh_token, before.refresh_token, 'the refresh token rotated');
  assert.deepEqual(decodeJwt(state.tokens!.access_token).aud, [server.mcp.url]);
});

test('the MCP SDK v2 client uses a client ID metadata document, then refreshes', async (t) => {
  const sdk = await loadSdk();
  const server = await startInteropServer(t);
  const host = await startHttpsDocumentHost(t);
  const metadataUrl = host.serve('/oauth/mcp-client-v2.json', cimdDocument('MCP SDK v2'));
  const { provider, state } = scriptedProvider(server, 'MCP SDK v2', { clientMetadataUrl: metadataUrl });
  const result = await authorizeAndCallTool(t, sdk, server, provider, state);
  assert.deepEqual(result.content, [{ type: 'text', text: server.userId }]);
  assert.equal(state.authorizationUrls.at(-1)!.searchParams.get('client_id'), metadataUrl);
  const { clients } = await (await server.admin('/admin/clients')).json();
  assert.deepEqual(clients.map((c: { client_id: string; registration_source: string }) => [c.client_id, c.registration_source]), [[metadataUrl, 'cimd']]);

  const before = state.tokens!;
  assert.equal(await sdk.auth(provider, { serverUrl: server.mcp.url, resourceMetadataUrl: prmUrl(server) }), 'AUTHORIZED');
  assert.notEqual(state.tokens!.refresh_token, before.refresh_token, 'the refresh token rotated');
  assert.equal(decodeJwt(state.tokens!.access_token).client_id, metadataUrl);
});
