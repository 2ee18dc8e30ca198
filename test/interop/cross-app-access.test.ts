/**
 * The MCP SDK v2 client's Cross-App Access support (`CrossAppAccessProvider`, SEP-990 Enterprise-Managed
 * Authorization): its assertion callback hands over an ID-JAG minted by a loopback IdP, the SDK redeems it at our
 * token endpoint with the jwt-bearer grant, and the token opens a protected MCP server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { startProtectedMcpServer } from '../helpers/mcp-server.js';
import { JWT_BEARER, jwtServer, startIssuer } from '../plugins/jwt-bearer/setup.js';
import { interopTools } from './tools.js';

interface CrossAppContext {
  authorizationServerUrl: string;
  resourceUrl: string;
  scope?: string;
}

interface SdkV2 {
  Client: new (info: { name: string; version: string }) => {
    connect(transport: unknown): Promise<void>;
    callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<{ content: unknown }>;
    close(): Promise<void>;
  };
  StreamableHTTPClientTransport: new (url: URL, options: { authProvider: unknown }) => unknown;
  CrossAppAccessProvider: new (options: {
    assertion: (ctx: CrossAppContext) => Promise<string>;
    clientId: string;
    clientSecret: string;
    expectedIssuer?: string;
  }) => { tokens(): Promise<{ access_token: string } | undefined> | { access_token: string } | undefined };
}

test("the MCP SDK v2 client's CrossAppAccessProvider redeems an ID-JAG and calls a tool as the asserted user", async (t) => {
  const sdk = (await import((await interopTools()).sdkV2)) as SdkV2;
  const fx = await jwtServer(t);
  const mcp = await startProtectedMcpServer(t, { issuer: fx.url, path: '/xaa/mcp', prmUrl: () => `${fx.url}/.well-known/oauth-protected-resource/xaa/mcp` });
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'xaa-mcp', display_name: 'XAA MCP', uri: mcp.url, backend_kind: 'mint', scopes: [{ name: 'tools/read' }] }),
  });
  assert.equal(created.status, 201);
  const idp = await startIssuer(t);
  await fx.trust({ name: 'enterprise', issuer: idp.issuer });
  const client = (await fx.createClient({
    client_name: 'XAA agent',
    redirect_uris: [],
    grant_types: [JWT_BEARER],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'tools/read',
  })) as { client_id: string; client_secret: string };
  assert.equal((await fx.admin('/admin/xaa/policies', { method: 'POST', body: JSON.stringify({ idp: 'enterprise', resources: [mcp.url] }) })).status, 201);

  const seen: CrossAppContext[] = [];
  const provider = new sdk.CrossAppAccessProvider({
    clientId: client.client_id,
    clientSecret: client.client_secret,
    expectedIssuer: fx.url,
    async assertion(ctx) {
      seen.push({ authorizationServerUrl: ctx.authorizationServerUrl, resourceUrl: ctx.resourceUrl, scope: ctx.scope });
      return idp.sign({ sub: 'grace', aud: fx.url, client_id: client.client_id, resource: ctx.resourceUrl, scope: 'tools/read' }, { typ: 'oauth-id-jag+jwt' });
    },
  });
  const mcpClient = new sdk.Client({ name: 'authplane-xaa', version: '1.0.0' });
  await mcpClient.connect(new sdk.StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider }));
  t.after(() => mcpClient.close());
  const result = await mcpClient.callTool({ name: 'whoami', arguments: {} });
  assert.deepEqual(result.content, [{ type: 'text', text: `${idp.issuer}:grace` }]);
  assert.equal(seen.length, 1);
  assert.equal(new URL(seen[0]!.authorizationServerUrl).origin, fx.url);
  assert.equal(seen[0]!.resourceUrl, mcp.url);
  const token = (await provider.tokens())!.access_token;
  assert.deepEqual(decodeJwt(token).act, { sub: idp.issuer });
});
