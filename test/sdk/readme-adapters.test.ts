/**
 * The "Five lines" blocks of sdk/README.md for Express, Hono and FastMCP, taken from the README text and run as
 * written (ports pointed at this test's, bound to loopback), with the handler the block's comment describes appended:
 * the metadata document, the 401 challenge, and a tool call with a token.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createOAuthClient } from '@authplane/sdk';
import { repoTempDir } from '../helpers/config-files.js';
import { CHILD_WAIT_MS, outputTail, REPO_ROOT } from '../helpers/server.js';
import { authplaneWithDcr, notesBot, rpc } from './adapters.js';
import { notesResource } from './fixture.js';

function fiveLines(heading: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'sdk/README.md'), 'utf8');
  const block = new RegExp(`^## ${heading}\\n[\\s\\S]*?\`\`\`ts\\n([\\s\\S]*?)\`\`\``, 'm').exec(readme)?.[1];
  assert.ok(block, `sdk/README.md has a "${heading}" ts block`);
  assert.equal(block.split('\n').filter((line) => line.trim() !== '').length, 5, `${heading}: five lines`);
  return block;
}

/** The MCP handler the Express and Hono blocks name, as their comments describe it (function declarations hoist). */
const HANDLERS = {
  express: `
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
async function mcpHandler(req: any, res: any) {
  const server = new McpServer({ name: 'readme', version: '1.0.0' });
  server.registerTool('whoami', {}, async (extra) => ({ content: [{ type: 'text', text: String(extra.authInfo?.clientId) }] }));
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}
`,
  hono: `
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
async function mcpHandler(c: any) {
  const server = new McpServer({ name: 'readme', version: '1.0.0' });
  server.registerTool('whoami', {}, async (extra) => ({ content: [{ type: 'text', text: String(extra.authInfo?.clientId) }] }));
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  return transport.handleRequest(c.req.raw, { authInfo: c.get('auth') });
}
`,
  fastmcp: `
server.addTool({ name: 'whoami', execute: async (_args, { session }) => String((session as { clientId?: string } | undefined)?.clientId) });
console.error(JSON.stringify({ msg: 'listening' }));
`,
};

for (const [name, heading] of [['express', 'Five lines: Express'], ['hono', 'Five lines: Hono'], ['fastmcp', 'Five lines: FastMCP']] as const) {
  test(`the sdk README's five lines for ${name} serve the metadata, answer 401, and take a token for a tool call`, async (t) => {
    const fx = await authplaneWithDcr(t);
    const { port, resource } = await notesResource(fx);
    let code = fiveLines(heading).replaceAll('http://localhost:9000', fx.url).replaceAll('http://localhost:3000', `http://127.0.0.1:${port}`);
    code = code
      .replace('.listen(3000)', `.listen(${port}, '127.0.0.1', () => console.error(JSON.stringify({ msg: 'listening' })))`)
      .replace('port: 3000 })', `port: ${port}, hostname: '127.0.0.1' }, () => console.error(JSON.stringify({ msg: 'listening' })))`)
      .replace('port: 3000,', `port: ${port}, host: '127.0.0.1',`);
    assert.doesNotMatch(code, /3000/, 'every port was replaced');
    const dir = repoTempDir(t, 'sdk-readme-');
    const file = join(dir, 'server.ts');
    writeFileSync(file, code + HANDLERS[name]);
    const child = spawn(process.execPath, ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), file], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the ${name} five lines did not start.\n${outputTail('output', output)}`)), CHILD_WAIT_MS);
      child.stderr.on('data', (d) => {
        output += d;
        if (output.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (status) => reject(new Error(`the ${name} five lines exited with ${status}.\n${outputTail('output', output)}`)));
    });

    const prm = await fetch(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(prm.status, 200, output);
    assert.equal((await prm.json()).resource, resource);
    const challenge = await rpc(resource, 'tools/call', { name: 'whoami', arguments: {} });
    assert.equal(challenge.status, 401);
    assert.match(challenge.headers.get('www-authenticate')!, /^Bearer resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp", scope="notes\/read"$/);
    const bot = await notesBot(fx);
    const token = await createOAuthClient({ issuer: fx.url, ...bot }).getToken({ scope: 'notes/read', resource });
    const called = await rpc(resource, 'tools/call', { name: 'whoami', arguments: {} }, token);
    assert.equal(called.status, 200, output);
    assert.deepEqual((await called.json()).result.content, [{ type: 'text', text: bot.clientId }]);
  });
}
