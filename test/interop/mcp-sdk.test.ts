/**
 * The official MCP TypeScript SDK client (`@modelcontextprotocol/sdk`) against AuthPlane as a real process: it finds
 * us from the MCP server's 401 and PRM, registers itself (DCR) or names its metadata document (CIMD), walks the
 * authorization-code flow through the scripted browser, calls a tool, and refreshes its tokens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { cimdDocument, REDIRECT_URL, scriptedProvider, startHttpsDocumentHost, startInteropServer, type InteropServer } from './harness.js';

/** Where the MCP server's 401 points; a bare `auth()` call (refresh) is given it as the SDK's transport would. */
const prmUrl = (server: InteropServer) => new URL(`${server.url}/.well-known/oauth-protected-resource${new URL(server.mcp.url).pathname}`);

/** Connect (refused, authorization runs), finish with the code, connect again and call the tool. */
async function authorizeAndCallTool(t: { after(fn: () => unknown): void }, server: InteropServer, provider: OAuthClientProvider, state: { code?: string }) {
  const first = new Client({ name: 'authplane-interop', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(server.mcp.url), { authProvider: provider });
  await assert.rejects(first.connect(transport), /Unauthorized/i, 'the first connection is refused and starts authorization');
  assert.ok(state.code, 'the scripted browser got a code back');
  await transport.finishAuth(state.code!);
  const client = new Client({ name: 'authplane-interop', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcp.url), { authProvider: provider }));
  t.after(() => client.close());
  return client.callTool({ name: 'whoami', arguments: {} });
}

test('the MCP SDK client registers itself with DCR, authorizes, calls a tool and refreshes its tokens', async (t) => {
  const server = await startInteropServer(t);
  const { provider, state } = scriptedProvider<OAuthClientProvider>(server, 'MCP SDK');
  const result = await authorizeAndCallTool(t, server, provider, state);
  assert.deepEqual(result.content, [{ type: 'text', text: server.userId }]);

  const clientId = state.client!.client_id;
  const stored = await (await server.admin(`/admin/clients/${encodeURIComponent(clientId)}`)).json();
  assert.equal(stored.registration_source, 'dcr', 'registered through POST /oauth/register');
  assert.equal(state.authorizationUrls.at(-1)!.searchParams.get('resource'), server.mcp.url);

  const before = state.tokens!;
  assert.ok(before.refresh_token);
  assert.equal(await auth(provider, { serverUrl: server.mcp.url, resourceMetadataUrl: prmUrl(server) }), 'AUTHORIZED');
  assert.notEqual(state.tokens!.access_token, before.access_token, 'a new access token');
  assert.notEqual(state.tokens!.refresh_token, before.refresh_token, 'the refresh token rotated');
  assert.deepEqual(decodeJwt(state.tokens!.access_token).aud, [server.mcp.url]);
  const client = new Client({ name: 'authplane-interop', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.mcp.url), { authProvider: provider }));
  t.after(() => client.close());
  const again = await client.callTool({ name: 'whoami', arguments: {} });
  assert.deepEqual(again.content, [{ type: 'text', text: server.userId }], 'the refreshed token is accepted');
});

test('the MCP SDK client uses a client ID metadata document instead of registering, then refreshes', async (t) => {
  const server = await startInteropServer(t);
  const host = await startHttpsDocumentHost(t);
  const metadataUrl = host.serve('/oauth/mcp-client.json', cimdDocument('MCP SDK'));
  const { provider, state } = scriptedProvider<OAuthClientProvider>(server, 'MCP SDK', { clientMetadataUrl: metadataUrl });
  const result = await authorizeAndCallTool(t, server, provider, state);
  assert.deepEqual(result.content, [{ type: 'text', text: server.userId }]);

  assert.equal(state.client!.client_id, metadataUrl, 'the SDK chose the metadata document URL as its client_id');
  assert.equal(state.authorizationUrls.at(-1)!.searchParams.get('client_id'), metadataUrl);
  assert.ok(host.hits('/oauth/mcp-client.json') >= 1, 'AuthPlane fetched the document over TLS');
  const { clients } = await (await server.admin('/admin/clients')).json();
  assert.deepEqual(
    clients.map((c: { client_id: string; registration_source: string }) => [c.client_id, c.registration_source]),
    [[metadataUrl, 'cimd']],
    'no dynamic registration happened',
  );

  const before = state.tokens!;
  assert.equal(await auth(provider, { serverUrl: server.mcp.url, resourceMetadataUrl: prmUrl(server) }), 'AUTHORIZED');
  assert.notEqual(state.tokens!.refresh_token, before.refresh_token, 'the refresh token rotated');
  assert.equal(decodeJwt(state.tokens!.access_token).client_id, metadataUrl);
});
