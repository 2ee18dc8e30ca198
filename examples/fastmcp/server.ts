/**
 * The notes MCP server on FastMCP, protected by `@authplane/sdk/fastmcp`: `authenticate` verifies the token,
 * `oauth` serves the Protected Resource Metadata, and `requireScope` guards `add_note`, so a client holding only
 * `notes/read` gets a 403 step-up challenge and re-authorizes (JSON-response mode: see sdk/README.md).
 *
 *   AUTHPLANE_ISSUER=http://localhost:9000 PORT=3000 npm run example:fastmcp
 */
import { FastMCP } from 'fastmcp';
import { z } from 'zod';
import { createFastMcpAuth, requireScope, type AuthplaneSession } from '@authplane/sdk/fastmcp';

const ISSUER = process.env.AUTHPLANE_ISSUER ?? 'http://localhost:9000';
const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? 'localhost';
const RESOURCE = process.env.MCP_RESOURCE ?? `http://localhost:${PORT}/mcp`;

const notes: { author: string; text: string }[] = [];

const auth = createFastMcpAuth({ issuer: ISSUER, resource: RESOURCE, scopes: ['notes/read'], scopesSupported: ['notes/read', 'notes/write'] });
const server = new FastMCP<AuthplaneSession>({ name: 'authplane-notes-fastmcp', version: '1.0.0', authenticate: auth.authenticate, oauth: auth.oauth });

server.addTool({ name: 'whoami', description: 'Who the access token belongs to', execute: async (_args, { session }) => String(session?.sub) });
server.addTool({
  name: 'list_notes',
  description: 'List every note',
  execute: async () => notes.map((n) => `${n.author}: ${n.text}`).join('\n') || '(no notes yet)',
});
server.addTool({
  name: 'add_note',
  description: 'Add a note (needs notes/write)',
  parameters: z.object({ text: z.string().min(1).max(500) }),
  execute: requireScope('notes/write', async ({ text }, { session }) => {
    notes.push({ author: String(session?.sub), text });
    return `added note #${notes.length}`;
  }),
});

await server.start({ transportType: 'httpStream', httpStream: { port: PORT, host: HOST, stateless: true, enableJsonResponse: true } });
process.stderr.write(`${JSON.stringify({ msg: 'listening', resource: RESOURCE, resource_metadata: auth.resourceMetadataUrl })}\n`);
