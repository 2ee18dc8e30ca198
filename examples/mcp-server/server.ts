/**
 * A notes MCP server made with the official MCP TypeScript SDK and protected by AuthPlane through
 * `@authplane/sdk/mcp`. Every request needs `notes/read`; `add_note` also needs `notes/write`, so a client holding
 * only `notes/read` gets a 403 step-up challenge and re-authorizes. Walkthrough: sdk/README.md.
 *
 *   AUTHPLANE_ISSUER=http://localhost:9000 PORT=3000 npm run example:mcp-server
 */
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { createMcpAuth, requireScope } from '@authplane/sdk/mcp';

const ISSUER = process.env.AUTHPLANE_ISSUER ?? 'http://localhost:9000';
const PORT = Number(process.env.PORT ?? 3000);
const RESOURCE = process.env.MCP_RESOURCE ?? `http://localhost:${PORT}/mcp`;

const notes: { author: string; text: string }[] = [];

function buildServer(): McpServer {
  const server = new McpServer({ name: 'authplane-notes', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who the access token belongs to' }, async (extra) => ({
    content: [{ type: 'text', text: String(extra.authInfo?.extra?.sub) }],
  }));
  server.registerTool('list_notes', { description: 'List every note' }, async () => ({
    content: [{ type: 'text', text: notes.map((n) => `${n.author}: ${n.text}`).join('\n') || '(no notes yet)' }],
  }));
  server.registerTool(
    'add_note',
    { description: 'Add a note (needs notes/write)', inputSchema: { text: z.string().min(1).max(500) } },
    requireScope('notes/write', async ({ text }, extra) => {
      notes.push({ author: String(extra.authInfo?.extra?.sub), text });
      return { content: [{ type: 'text', text: `added note #${notes.length}` }] };
    }),
  );
  return server;
}

// The AuthPlane integration: verify tokens, serve Protected Resource Metadata, answer 401/403 challenges.
const auth = createMcpAuth({ issuer: ISSUER, resource: RESOURCE, scopes: ['notes/read'], scopesSupported: ['notes/read', 'notes/write'] });
const http = createServer(auth.nodeHandler(buildServer));
http.listen(PORT, () => {
  process.stderr.write(`${JSON.stringify({ msg: 'listening', resource: RESOURCE, resource_metadata: auth.resourceMetadataUrl })}\n`);
});
