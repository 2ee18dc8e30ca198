/**
 * The notes MCP server on Hono (run on Node by @hono/node-server), protected by `@authplane/sdk/hono`: the official
 * MCP SDK's server and web-standard transport behind `auth.protect()`. Every request needs `notes/read`; calling
 * `add_note` also needs `notes/write` (`toolScopes`), so a client holding only `notes/read` gets a 403 step-up
 * challenge and re-authorizes.
 *
 *   AUTHPLANE_ISSUER=http://localhost:9000 PORT=3000 npm run example:hono
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { z } from 'zod';
import { createHonoAuth, type AuthplaneVariables } from '@authplane/sdk/hono';

const ISSUER = process.env.AUTHPLANE_ISSUER ?? 'http://localhost:9000';
const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? 'localhost';
const RESOURCE = process.env.MCP_RESOURCE ?? `http://localhost:${PORT}/mcp`;

const notes: { author: string; text: string }[] = [];

function buildServer(): McpServer {
  const server = new McpServer({ name: 'authplane-notes-hono', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who the access token belongs to' }, async (extra) => ({
    content: [{ type: 'text', text: String(extra.authInfo?.extra?.sub) }],
  }));
  server.registerTool('list_notes', { description: 'List every note' }, async () => ({
    content: [{ type: 'text', text: notes.map((n) => `${n.author}: ${n.text}`).join('\n') || '(no notes yet)' }],
  }));
  server.registerTool('add_note', { description: 'Add a note (needs notes/write)', inputSchema: { text: z.string().min(1).max(500) } }, async ({ text }, extra) => {
    notes.push({ author: String(extra.authInfo?.extra?.sub), text });
    return { content: [{ type: 'text', text: `added note #${notes.length}` }] };
  });
  return server;
}

const auth = createHonoAuth({ issuer: ISSUER, resource: RESOURCE, scopes: ['notes/read'], toolScopes: { add_note: 'notes/write' } });
const app = new Hono<{ Variables: AuthplaneVariables }>();
app.get(auth.prm.path, auth.metadata);
app.post('/mcp', auth.protect(), async (c) => {
  // Stateless: a server and transport per request; c.get('auth') reaches tools as extra.authInfo.
  const server = buildServer();
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw, { authInfo: c.get('auth') });
  } finally {
    await transport.close();
    await server.close();
  }
});
// Stateless: no server-to-client stream to open, no session to end (the MCP transport spec's 405).
app.all('/mcp', (c) => c.json({ error: 'method_not_allowed' }, 405, { Allow: 'POST' }));
serve({ fetch: app.fetch, port: PORT, hostname: HOST }, () => {
  process.stderr.write(`${JSON.stringify({ msg: 'listening', resource: RESOURCE, resource_metadata: auth.resourceMetadataUrl })}\n`);
});
