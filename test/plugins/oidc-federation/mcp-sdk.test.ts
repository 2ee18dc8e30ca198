import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { ScriptedBrowser } from '../../helpers/browser.js';
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
  let tokens: OAuthTokens | undefined;
  let verifier = '';
  let code: string | undefined;
  const provider: OAuthClientProvider = {
    get redirectUrl() {
      return REDIRECT_URI;
    },
    get clientMetadata() {
      return { redirect_uris: [REDIRECT_URI], client_name: 'Test client', token_endpoint_auth_method: 'none' };
    },
    clientInformation: (): OAuthClientInformationMixed => ({ client_id: fx.clientId }),
    tokens: () => tokens,
    saveTokens: (saved) => {
      tokens = saved;
    },
    saveCodeVerifier: (v) => {
      verifier = v;
    },
    codeVerifier: () => verifier,
    async redirectToAuthorization(url) {
      // Our login page, "Sign in with Globex SSO", the upstream's own pages, back to us, our consent, the client.
      const loginPage = await browser.request(url.toString());
      const upstream = await browser.request(buttonHref(loginPage, 'Globex SSO'));
      const consent = await browser.request(await throughUpstream(fx.idps.globex, upstream.url, 'olga'));
      assert.match(consent.body, /tools\/read/);
      const back = await browser.consent(consent, 'allow');
      const params = new URL(back.url).searchParams;
      assert.equal(params.get('iss'), fx.url);
      code = params.get('code') ?? undefined;
    },
  };

  const client = new Client({ name: 'authplane-test', version: '1.0.0' });
  await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider })), /Unauthorized/i);
  assert.ok(code, 'the browser came back to the client with a code');
  const resourceMetadataUrl = new URL(`${fx.url}/.well-known/oauth-protected-resource/sdk/mcp`);
  assert.equal(await auth(provider, { serverUrl: mcp.url, authorizationCode: code, resourceMetadataUrl }), 'AUTHORIZED');

  const connected = new Client({ name: 'authplane-test', version: '1.0.0' });
  await connected.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
  t.after(() => connected.close());
  const result = await connected.callTool({ name: 'whoami', arguments: {} });
  const users = (await (await fx.admin('/admin/users')).json()).users as { id: string; email: string }[];
  const olga = users.find((u) => u.email === 'olga@globex.example');
  assert.ok(olga);
  assert.deepEqual(result.content, [{ type: 'text', text: olga.id }]);
});
