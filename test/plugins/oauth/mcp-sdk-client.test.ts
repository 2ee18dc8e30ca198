import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { memoryProvider } from '../../helpers/mcp-sdk-provider.js';
import { startProtectedMcpServer } from '../../helpers/mcp-server.js';
import { oauthServer, REDIRECT_URI, USER } from './setup.js';

test('the official MCP SDK client authorizes through our PRM with a pre-registered client and calls a tool', async (t) => {
  const fx = await oauthServer(t);
  const mcp = await startProtectedMcpServer(t, {
    issuer: fx.url,
    path: '/sdk/mcp',
    prmUrl: () => `${fx.url}/.well-known/oauth-protected-resource/sdk/mcp`,
  });
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({
      slug: 'sdk-mcp',
      display_name: 'SDK MCP',
      uri: mcp.url,
      backend_kind: 'mint',
      scopes: [{ name: 'tools/read', description: 'Call read-only tools' }],
    }),
  });
  assert.equal(created.status, 201);

  const browser = new ScriptedBrowser(fx.url);
  const { provider, state } = memoryProvider({
    redirectUri: REDIRECT_URI,
    metadata: { client_name: 'Test client', token_endpoint_auth_method: 'none' },
    clientId: fx.clientId,
    async authorize(url) {
      const login = await browser.request(url.toString());
      const consent = await browser.login(login, USER.email, USER.password);
      return browser.consent(consent, 'allow');
    },
  });

  const client = new Client({ name: 'authplane-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider });
  await assert.rejects(client.connect(transport), /Unauthorized/i, 'the first connection is refused and starts authorization');
  const [authorizationUrl] = state.authorizationUrls;
  assert.ok(authorizationUrl, 'the SDK followed the 401 to our PRM and discovery');
  assert.equal(authorizationUrl.searchParams.get('resource'), mcp.url);
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(state.code, 'the scripted browser got a code back');
  assert.equal(state.callback!.searchParams.get('iss'), fx.url, 'RFC 9207 iss in the authorization response');

  const resourceMetadataUrl = new URL(`${fx.url}/.well-known/oauth-protected-resource/sdk/mcp`);
  assert.equal(await auth(provider, { serverUrl: mcp.url, authorizationCode: state.code, resourceMetadataUrl }), 'AUTHORIZED');
  assert.ok(state.tokens?.access_token);
  assert.ok(state.tokens?.refresh_token);

  const connected = new Client({ name: 'authplane-test', version: '1.0.0' });
  await connected.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
  t.after(() => connected.close());
  const result = await connected.callTool({ name: 'whoami', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: fx.userId }]);
});
