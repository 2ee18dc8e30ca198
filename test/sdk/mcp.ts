/**
 * An MCP server made with the official SDK and protected by `@authplane/sdk/mcp`, registered in AuthPlane as a
 * resource at its own loopback URL, and an OAuth client provider for the official SDK client whose
 * "browser" is the scripted one (login and consent through the real pages).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { TestContext } from 'node:test';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { createMcpAuth, requireScope, type McpAuth, type McpAuthOptions } from '@authplane/sdk/mcp';
import { ScriptedBrowser } from '../helpers/browser.js';
import { loginAndConsent, memoryProvider } from '../helpers/mcp-sdk-provider.js';
import { freePort } from '../helpers/server.js';
import { REDIRECT_URI, USER, type OAuthFixture } from '../plugins/oauth/setup.js';

export interface ProtectedMcp {
  url: string;
  auth: McpAuth;
  /** How many times the write tool's handler actually ran. */
  writes: () => number;
}

/** Tools: `whoami` (any token with tools/read), `write` (requireScope tools/write), `admin_reset` (toolScopes). */
export async function startSdkProtectedMcp(
  t: TestContext,
  fx: OAuthFixture,
  options: Partial<McpAuthOptions> & { slug?: string; policy?: Record<string, unknown> } = {},
): Promise<ProtectedMcp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const { slug = 'sdk-mcp', policy, ...authOptions } = options;
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({
      slug,
      display_name: 'SDK-protected MCP',
      uri: url,
      scopes: [{ name: 'tools/read' }, { name: 'tools/write' }, { name: 'tools/admin' }],
      ...(policy ? { policy } : {}),
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  let writes = 0;
  const auth = createMcpAuth({
    issuer: fx.url,
    resource: url,
    scopes: ['tools/read'],
    toolScopes: { admin_reset: 'tools/admin' },
    scopesSupported: ['tools/read', 'tools/write', 'tools/admin'],
    logger: false,
    ...authOptions,
  });
  const build = () => {
    const server = new McpServer({ name: 'sdk-test', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The token subject' }, async (extra) => ({
      content: [{ type: 'text', text: String(extra.authInfo?.extra?.sub) }],
    }));
    server.registerTool(
      'write',
      { description: 'Needs tools/write', inputSchema: { text: z.string() } },
      requireScope('tools/write', async ({ text }) => {
        writes++;
        return { content: [{ type: 'text', text: `wrote ${text}` }] };
      }),
    );
    server.registerTool('admin_reset', { description: 'Needs tools/admin' }, async () => ({ content: [{ type: 'text', text: 'reset' }] }));
    return server;
  };
  const http = createServer(auth.nodeHandler(build));
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      }),
  );
  return { url, auth, writes: () => writes };
}

/** An OAuthClientProvider for a pre-registered public client; authorization runs in the scripted browser. */
export function scriptedProvider(fx: OAuthFixture, clientId: string) {
  return memoryProvider({
    redirectUri: REDIRECT_URI,
    metadata: { client_name: 'SDK test client', token_endpoint_auth_method: 'none' },
    clientId,
    authorize: loginAndConsent(new ScriptedBrowser(fx.url), USER),
  });
}
