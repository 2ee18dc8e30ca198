import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { memoryProvider } from '../../helpers/mcp-sdk-provider.js';
import { startProtectedMcpServer } from '../../helpers/mcp-server.js';
import { buttonHref, federationServer, REDIRECT_URI, throughUpstream } from './setup.js';

test('the MCP SDK client completes its authorization with a federated login in the middle and calls a tool as the federated user', async (t) => {
  const fx = await federationServer(t);
  const mcp = await startProtectedMcpServer(t, {
    issuer: fx.url,
    path: '/sdk/mcp',
    prmUrl: () => `${fx.url}/.well-known/oauth-protected-resource/sdk/mcp`,
  });
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'sdk-mcp', display_name: 'SDK MCP', uri: mcp.url, backend_kind: 'mint', scopes: [{ name: 'tools/read', description: 'Call read-only tools' }] }),
  });
  assert.equal(created.status, 201);

  const browser = new ScriptedBrowser(fx.url);
  const { provider, state } = memoryProvider({
    redirectUri: REDIRECT_URI,
    metadata: { client_name: 'Test client', token_endpoint_auth_method: 'none' },
    clientId: fx.clientId,
    async authorize(url) {
      // Our login page, "Sign in with Globex SSO", the upstream's own pages, back to us, our consent, the client.
      const loginPage = await browser.request(url.toString());
      const upstream = await browser.request(buttonHref(loginPage, 'Globex SSO'));
      const consent = await browser.request(await throughUpstream(fx.idps.globex, upstream.url, 'olga'));
      assert.match(consent.body, /tools\/read/);
      return browser.consent(consent, 'allow');
    },
  });

  const client = new Client({ name: 'authplane-test', version: '1.0.0' });
  await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider })), /Unauthorized/i);
  assert.ok(state.code, 'the browser came back to the client with a code');
  assert.equal(state.callback!.searchParams.get('iss'), fx.url);
  const resourceMetadataUrl = new URL(`${fx.url}/.well-known/oauth-protected-resource/sdk/mcp`);
  assert.equal(await auth(provider, { serverUrl: mcp.url, authorizationCode: state.code, resourceMetadataUrl }), 'AUTHORIZED');

  const connected = new Client({ name: 'authplane-test', version: '1.0.0' });
  await connected.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
  t.after(() => connected.close());
  const result = await connected.callTool({ name: 'whoami', arguments: {} });
  const users = (await (await fx.admin('/admin/users')).json()).users as { id: string; email: string }[];
  const olga = users.find((u) => u.email === 'olga@globex.example');
  assert.ok(olga);
  assert.deepEqual(result.content, [{ type: 'text', text: olga.id }]);
});
