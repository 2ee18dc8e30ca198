/**
 * The packages as a user gets them: `npm pack` of authplane and @authplane/sdk (each builds on prepack), both
 * tarballs installed into a scratch project outside the repository, then `npx authserver serve` with a config file
 * there, the sdk README's five-line protected MCP server, a token, and a tool call.
 *
 * Packing runs in a copy of the repository's files (git ls-files) so the developer's dist/ is left alone. The install
 * needs the npm registry for the dependencies (`--prefer-offline`: the npm cache usually has them all) and runs with
 * `--ignore-scripts`: better-sqlite3 would compile from source for about two minutes, so its addon is copied from
 * this repository's node_modules instead, for the identical version only (reuseCompiledAddon).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, REPO_ROOT } from '../helpers/server.js';
import { npmEnv, reuseCompiledAddon } from './npm.js';

const run = promisify(execFile);
const LONG = { timeout: 400_000, maxBuffer: 64 * 1024 * 1024 };

const root = mkdtempSync(join(tmpdir(), 'authplane-pack-'));
const checkout = join(root, 'checkout');
const packs = join(root, 'packs');
const project = join(root, 'project');
const children: ChildProcess[] = [];

after(() => {
  // Each child leads its own process group: npx's node child goes too.
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL'); // the group is gone already
    }
  }
  rmSync(root, { recursive: true, force: true });
});

interface PackResult {
  filename: string;
  files: { path: string }[];
}
const packed: Record<string, PackResult> = {};

/** A user's config file: SQLite and keys in the project, the plugins a machine client needs. */
const CONFIG = `import { defineConfig } from 'authplane';
import { clientCredentials, clients, keystoreKeyfile, resources, storageSqlite } from 'authplane/plugins';

export default defineConfig({
  storage: { sqlite: { path: 'data/authserver.db' } },
  signing: { keyPath: 'data/keys' },
  plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), clientCredentials()],
});
`;

/** The tools the five lines' `buildServer` registers, as the README's comment line describes. */
const BUILD_SERVER = `
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

function buildServer() {
  const server = new McpServer({ name: 'notes', version: '1.0.0' });
  server.registerTool('whoami', { description: 'The calling client' }, async (extra) => ({
    content: [{ type: 'text', text: extra.authInfo.clientId }],
  }));
  server.registerTool('add_note', { description: 'Adds a note' }, requireScope('notes/write', async () => ({ content: [{ type: 'text', text: 'added' }] })));
  return server;
}
`;

/** The README's "Five lines" block, pointed at this test's ports and bound to loopback. */
function fiveLines(issuer: string, port: number): string {
  const readme = readFileSync(join(REPO_ROOT, 'sdk/README.md'), 'utf8');
  const block = /^## Five lines\n[\s\S]*?```ts\n([\s\S]*?)```/m.exec(readme)?.[1];
  assert.ok(block, 'sdk/README.md has a "Five lines" ts block');
  assert.equal(block.split('\n').filter((line) => line.trim() !== '').length, 5);
  const code = block.replaceAll('http://localhost:9000', issuer).replaceAll('http://localhost:3000', `http://127.0.0.1:${port}`);
  assert.match(code, /\.listen\(3000\)/);
  return code.replace('.listen(3000)', `.listen(${port}, '127.0.0.1')`);
}

/**
 * A plugin's test as its author writes it, against the installed package: the kit starts a server with the plugin,
 * whose error class comes from 'authplane' — answered as OAuth JSON only if the kit runs that very kernel.
 */
const KIT_PROBE = `import { existsSync } from 'node:fs';
import { definePlugin, InvalidRequest } from 'authplane';
import { startServer } from 'authplane/testing';

const probe = definePlugin({
  name: 'kit-probe',
  register(api) {
    api.route('public', 'GET', '/oauth/kit-probe', () => {
      throw new InvalidRequest('refused by the probe');
    });
  },
});
const srv = await startServer({ plugins: [probe()] });
const response = await fetch(srv.url + '/oauth/kit-probe');
const result = { status: response.status, body: await response.json() };
await srv.stop();
console.log(JSON.stringify({ ...result, folderLeft: existsSync(srv.dir) }));
`;

function npx(args: string[]) {
  return run('npx', ['--no', 'authserver', ...args], { cwd: project, env: npmEnv(), timeout: 120_000 });
}

/** Starts a long-running command in its own process group (killed, with npx's node child, after the tests). */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv): { output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { cwd: project, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  return { output: () => output, exited: new Promise((resolve) => child.on('close', resolve)) };
}

/** Polls `ready` until it holds; fails early when the process exits. Generous: npx and a cold start on a busy machine. */
async function waitFor(what: string, proc: ReturnType<typeof launch>, ready: () => boolean | Promise<boolean>): Promise<void> {
  let exited = false;
  void proc.exited.then(() => (exited = true));
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    if (await ready()) return;
    if (exited) break;
  }
  assert.fail(`${what} did not start${exited ? ' (it exited)' : ''}:\n${proc.output()}`);
}

before(async () => {
  const { stdout: listed } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  for (const file of listed.split('\0').filter((f) => f && existsSync(join(REPO_ROOT, f)))) {
    mkdirSync(dirname(join(checkout, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(checkout, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  mkdirSync(packs);
  for (const workspace of [[], ['-w', 'sdk']]) {
    const { stdout } = await run('npm', ['pack', ...workspace, '--json', '--pack-destination', packs], { cwd: checkout, env: npmEnv(), ...LONG });
    // The build scripts print to stdout too; npm's JSON report comes last.
    const [result] = JSON.parse(stdout.slice(stdout.search(/^\[$/m))) as (PackResult & { name: string })[];
    packed[result!.name] = result!;
  }

  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  const mcpSdk = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/@modelcontextprotocol/sdk/package.json'), 'utf8')) as { version: string };
  const tarballs = Object.values(packed).map((p) => join(packs, p.filename));
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs, `@modelcontextprotocol/sdk@${mcpSdk.version}`], {
    cwd: project,
    env: npmEnv(),
    ...LONG,
  });
  reuseCompiledAddon(REPO_ROOT, project);
}, { timeout: 900_000 });

test('npm pack builds each package on prepack and ships its compiled code and types', () => {
  const paths = (name: string) => new Set(packed[name]!.files.map((f) => f.path));
  const server = paths('authplane');
  for (const file of [
    'dist/bin/authserver.js',
    'dist/bundle/kernel/index.js',
    'dist/bundle/plugins/index.js',
    'dist/bundle/testing/index.js',
    'dist/kernel/index.d.ts',
    'dist/testing/index.d.ts',
    'README.md',
  ]) {
    assert.ok(server.has(file), `authplane ships ${file}`);
  }
  const sdk = paths('@authplane/sdk');
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/mcp/index.js', 'dist/mcp/index.d.ts', 'README.md']) {
    assert.ok(sdk.has(file), `@authplane/sdk ships ${file}`);
  }
  assert.deepEqual([...sdk].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript sources in the sdk package');
});

test('the installed authplane/testing starts a server with a plugin of the project, on the kernel the project imports, and stops it', async () => {
  writeFileSync(join(project, 'kit-probe.mjs'), KIT_PROBE);
  const { stdout } = await run(process.execPath, ['kit-probe.mjs'], { cwd: project, env: npmEnv(), timeout: 120_000 });
  assert.deepEqual(JSON.parse(stdout), {
    status: 400,
    body: { error: 'invalid_request', error_description: 'refused by the probe' },
    folderLeft: false,
  });
});

test('an installed authserver serves with a config file, and the sdk five-line MCP server takes its tokens for a tool call', async () => {
  writeFileSync(join(project, 'authplane.config.ts'), CONFIG);
  const [authPort, mcpPort] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${authPort}`;
  const mcpUrl = `http://127.0.0.1:${mcpPort}/mcp`;

  await npx(['migrate']);
  await npx(['admin', 'resource', 'create', '--slug', 'notes', '--display-name', 'Notes', '--uri', mcpUrl, '--scopes', 'notes/read=Read notes,notes/write=Add notes']);
  const { stdout } = await npx(['admin', 'client', 'create', '--name', 'Notes bot', '--grant-types', 'client_credentials', '--auth-method', 'client_secret_basic', '--scope', 'notes/read notes/write', '--json']);
  const client = JSON.parse(stdout) as { client_id: string; client_secret: string };

  const serverEnv = npmEnv({ AUTHPLANE_SERVER_ISSUER: issuer, AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${authPort}`, AUTHPLANE_ADMIN_ENABLED: 'false' });
  const server = launch('npx', ['--no', 'authserver', 'serve'], serverEnv);
  await waitFor('npx authserver serve', server, () => server.output().includes('"msg":"listening"'));

  writeFileSync(join(project, 'mcp-server.mjs'), fiveLines(issuer, mcpPort) + BUILD_SERVER);
  const mcp = launch(process.execPath, ['mcp-server.mjs'], npmEnv());
  const prmUrl = `http://127.0.0.1:${mcpPort}/.well-known/oauth-protected-resource/mcp`;
  await waitFor('the five-line MCP server', mcp, () => fetch(prmUrl).then((r) => r.ok, () => false));
  const diagnostics = () => `authserver:\n${server.output()}\nMCP server:\n${mcp.output()}`;

  const rpc = (body: object, token?: string) =>
    fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const call = (name: string, token?: string) => rpc({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }, token);

  const challenge = await call('whoami');
  assert.equal(challenge.status, 401, diagnostics());
  assert.match(challenge.headers.get('www-authenticate') ?? '', /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);

  const tokenResponse = await fetch(`${issuer}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'notes/read', resource: mcpUrl }),
  });
  assert.equal(tokenResponse.status, 200, diagnostics());
  const { access_token } = (await tokenResponse.json()) as { access_token: string };

  const whoami = await call('whoami', access_token);
  assert.equal(whoami.status, 200, diagnostics());
  assert.deepEqual(((await whoami.json()) as { result: unknown }).result, { content: [{ type: 'text', text: client.client_id }] });

  const stepUp = await call('add_note', access_token);
  assert.equal(stepUp.status, 403);
  assert.match(stepUp.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
});
