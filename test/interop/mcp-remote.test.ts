/**
 * mcp-remote 0.15 (the stdio proxy Claude Desktop and other stdio-only clients use for remote servers), spawned on
 * Node 22 from the interop tools package and spoken to over stdio by the official SDK client, against AuthPlane
 * running as `authserver serve`: registration by DCR and by a client ID metadata document, login and consent in
 * the scripted browser ($BROWSER), a tool call, tokens kept across restarts, and a refresh when the stored access
 * token stops working.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/server.js';
import { cimdDocument, startHttpsDocumentHost, startInteropServer, type InteropServer } from './harness.js';
import { connectThroughMcpRemote } from './mcp-remote.js';

async function storedClients(server: InteropServer): Promise<[string, string][]> {
  const { clients } = await (await server.admin('/admin/clients')).json();
  return clients.map((c: { client_id: string; registration_source: string }) => [c.client_id, c.registration_source]);
}

/** mcp-remote's token file under ~/.mcp-auth (one per server URL hash). */
function tokenFile(home: string): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('_tokens.json')) files.push(path);
    }
  };
  walk(join(home, '.mcp-auth'));
  assert.equal(files.length, 1, `one token file in ${home}/.mcp-auth: ${files.join(', ')}`);
  return files[0]!;
}

test('mcp-remote registers with DCR, logs in through $BROWSER, calls a tool, reuses its tokens after a restart and refreshes a dead access token', async (t) => {
  const server = await startInteropServer(t);
  const first = await connectThroughMcpRemote(t, server.mcp.url);
  assert.deepEqual((await first.client.listTools()).tools.map((tool) => tool.name), ['whoami'], first.report());
  assert.deepEqual((await first.client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: server.userId }]);
  assert.deepEqual((await storedClients(server)).map(([, source]) => source), ['dcr'], first.report());
  assert.equal(first.approvals(), 1);
  await first.client.close();

  // A restart (Claude Desktop relaunched): the stored client and tokens are used, nobody is asked to log in.
  const again = await connectThroughMcpRemote(t, server.mcp.url, { home: first.home, callbackPort: Number(new URL(first.callbackUrl).port) });
  assert.deepEqual((await again.client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: server.userId }], again.report());
  assert.equal(again.approvals(), 1, 'no second login');
  await again.client.close();

  // The stored access token no longer works (as after its expiry): the MCP server's 401 makes mcp-remote redeem its
  // refresh token — rotated by AuthPlane — and retry, still without a login.
  const file = tokenFile(first.home);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { access_token: string; refresh_token?: string };
  assert.equal(typeof stored.refresh_token, 'string', 'AuthPlane gave mcp-remote a refresh token');
  writeFileSync(file, JSON.stringify({ ...stored, access_token: `${stored.access_token.slice(0, -6)}AAAAAA` }));
  const refreshed = await connectThroughMcpRemote(t, server.mcp.url, { home: first.home, callbackPort: Number(new URL(first.callbackUrl).port) });
  assert.deepEqual((await refreshed.client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: server.userId }], refreshed.report());
  assert.equal(refreshed.approvals(), 1, `refreshed, not a new login\n${refreshed.report()}`);
  const after = JSON.parse(readFileSync(file, 'utf8')) as { refresh_token?: string };
  assert.notEqual(after.refresh_token, stored.refresh_token, 'the refresh token was rotated');
});

test('mcp-remote with --client-metadata-url uses the metadata document instead of registering', async (t) => {
  const server = await startInteropServer(t);
  const host = await startHttpsDocumentHost(t);
  const callbackPort = await freePort();
  const metadataUrl = host.serve('/oauth/mcp-remote.json', (url) => ({
    ...cimdDocument('mcp-remote')(url),
    redirect_uris: [`http://127.0.0.1:${callbackPort}/oauth/callback`],
  }));
  const session = await connectThroughMcpRemote(t, server.mcp.url, { callbackPort, args: ['--client-metadata-url', metadataUrl] });
  assert.deepEqual((await session.client.callTool({ name: 'whoami', arguments: {} })).content, [{ type: 'text', text: server.userId }], session.report());
  assert.deepEqual(await storedClients(server), [[metadataUrl, 'cimd']], session.report());
});
