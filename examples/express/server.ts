/**
 * The notes MCP server on Express, protected by `@authplane/sdk/express`: the official MCP SDK's server and
 * streamable HTTP transport behind `auth.protect()`. Every request needs `notes/read`; calling `add_note` also needs
 * `notes/write` (`toolScopes`), so a client holding only `notes/read` gets a 403 step-up challenge and re-authorizes.
 *
 *   AUTHPLANE_ISSUER=http://localhost:9000 PORT=3000 npm run example:express
 */
import express from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { createExpressAuth } from '@authplane/sdk/express';

const ISSUER = process.env.AUTHPLANE_ISSUER ?? 'http://localhost:9000';
const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? 'localhost';
const RESOURCE = process.env.MCP_RESOURCE ?? `http://localhost:${PORT}/mcp`;

const notes: { author: string; text: string }[] = [];

function buildServer(): McpServer {
  const server = new McpServer({ name: 'authplane-notes-express', version: '1.0.0' });
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

const auth = createExpressAuth({ issuer: ISSUER, resource: RESOURCE, scopes: ['notes/read'], toolScopes: { add_note: 'notes/write' } });
const app = express();
app.use(auth.metadata);
app.post('/mcp', express.json(), auth.protect(), async (req, res) => {
  // Stateless: a server and transport per request; `req.auth` (set by protect) reaches tools as extra.authInfo.
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => void transport.close().then(() => server.close()));
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
});
// Stateless: no server-to-client stream to open, no session to end (the MCP transport spec's 405).
app.all('/mcp', (_req, res) => void res.status(405).set('Allow', 'POST').json({ error: 'method_not_allowed' }));
app.listen(PORT, HOST, () => {
  process.stderr.write(`${JSON.stringify({ msg: 'listening', resource: RESOURCE, resource_metadata: auth.resourceMetadataUrl })}\n`);
});
