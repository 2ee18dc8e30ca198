/**
 * @authplane/sdk as a user gets it: `npm pack` of the sdk (it builds on prepack), the tarball installed into a
 * scratch project outside the repository next to express, the MCP SDK, zod and tsx (the versions this repository
 * has, so the npm cache usually answers), and examples/express/server.ts copied there and run against AuthPlane.
 * Plus the size report: the SDK's own JavaScript at most 20 KB gzipped, jose its only dependency.
 *
 * Packing runs in a copy of sdk/ (git ls-files) so the developer's sdk/dist is left alone.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createOAuthClient } from '@authplane/sdk';
import { npmEnv } from '../build/npm.js';
import { CHILD_WAIT_MS, outputTail, REPO_ROOT } from '../helpers/server.js';
import { notesBot, rpc } from './adapters.js';
import { authplane, notesResource } from './fixture.js';

const run = promisify(execFile);
const LONG = { timeout: 400_000, maxBuffer: 64 * 1024 * 1024 };
const SIZE_LIMIT_BYTES = 20 * 1024;

const root = mkdtempSync(join(tmpdir(), 'authplane-sdk-pack-'));
const checkout = join(root, 'sdk');
const project = join(root, 'project');
const unpacked = join(root, 'unpacked');
let packed: { filename: string; files: { path: string }[] };

after(() => rmSync(root, { recursive: true, force: true }));

const installedVersion = (name: string) => (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

before(async () => {
  const { stdout: listed } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', 'sdk'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  for (const file of listed.split('\0').filter((f) => f && existsSync(join(REPO_ROOT, f)))) {
    const target = join(checkout, relative('sdk', file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(join(REPO_ROOT, file), target);
  }
  // tsc, @types/node, jose and the adapted frameworks' types for the build.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: checkout, env: npmEnv(), ...LONG });
  packed = (JSON.parse(stdout.slice(stdout.search(/^\[$/m))) as (typeof packed)[])[0]!;
  mkdirSync(unpacked);
  await run('tar', ['-xzf', join(root, packed.filename), '-C', unpacked]);

  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  const deps = ['express', '@modelcontextprotocol/sdk', 'zod', 'tsx'].map((name) => `${name}@${installedVersion(name)}`);
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(root, packed.filename), ...deps], { cwd: project, env: npmEnv(), ...LONG });
}, { timeout: 900_000 });

test('the tarball ships every entry point compiled with its types, no TypeScript sources, and jose as the only dependency', () => {
  const paths = new Set(packed.files.map((f) => f.path));
  for (const entry of ['', 'mcp/', 'express/', 'hono/', 'fastmcp/']) {
    for (const file of [`dist/${entry}index.js`, `dist/${entry}index.d.ts`]) assert.ok(paths.has(file), `ships ${file}`);
  }
  assert.deepEqual([...paths].filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
  const manifest = JSON.parse(readFileSync(join(unpacked, 'package/package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
    exports: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(manifest.dependencies), ['jose']);
  for (const peer of Object.keys(manifest.peerDependencies)) assert.equal(manifest.peerDependenciesMeta[peer]?.optional, true, `${peer} is an optional peer`);
  assert.deepEqual(Object.keys(manifest.peerDependencies).sort(), ['@modelcontextprotocol/sdk', 'express', 'fastmcp', 'hono']);
  assert.deepEqual(Object.keys(manifest.exports), ['.', './mcp', './express', './hono', './fastmcp', './package.json']);
  assert.match(readFileSync(join(unpacked, 'package/dist/express/index.d.ts'), 'utf8'), /@authplane\/sdk\/express/, 'the declarations keep their doc comments');
});

/** Every .js under `dir`, relative to it. */
function jsFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path, `${prefix}${name}/`);
    return name.endsWith('.js') ? [`${prefix}${name}`] : [];
  });
}

/** The module files an entry point loads from the package itself (relative imports, transitively). */
function closure(dist: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(dist, file), 'utf8');
    for (const [, spec] of code.matchAll(/(?:from|import)\s*'(\.{1,2}\/[^']+)'/g)) visit(join(dirname(file), spec!));
  };
  visit(entry);
  return [...seen];
}

test('size report: the SDK’s own JavaScript is at most 20 KB gzipped, and each entry point costs a part of it', (t) => {
  const dist = join(unpacked, 'package/dist');
  const gz = (files: string[]) => gzipSync(Buffer.concat(files.map((f) => readFileSync(join(dist, f)))), { level: 9 }).byteLength;
  const all = jsFiles(dist);
  const total = gz(all);
  const raw = all.reduce((sum, f) => sum + statSync(join(dist, f)).size, 0);
  const lines = [`@authplane/sdk ${packed.filename}: ${all.length} modules, ${raw} bytes, ${total} bytes gzipped (limit ${SIZE_LIMIT_BYTES})`];
  for (const [subpath, entry] of [['.', 'index.js'], ['./mcp', 'mcp/index.js'], ['./express', 'express/index.js'], ['./hono', 'hono/index.js'], ['./fastmcp', 'fastmcp/index.js']] as const) {
    const files = closure(dist, entry);
    assert.ok(files.every((f) => all.includes(f)), `${subpath} loads only files the package ships`);
    lines.push(`  ${subpath.padEnd(10)} ${String(files.length).padStart(2)} modules, ${gz(files)} bytes gzipped`);
  }
  lines.push('  runtime dependency: jose (and, per adapter, the framework it adapts: an optional peer)');
  for (const line of lines) t.diagnostic(line);
  assert.ok(total <= SIZE_LIMIT_BYTES, lines.join('\n'));
});

test('examples/express runs from the installed tarball: 401 with metadata, a tool call, the 403 step-up, a write', async (t) => {
  const fx = await authplane(t);
  const { port, resource } = await notesResource(fx);
  cpSync(join(REPO_ROOT, 'examples/express/server.ts'), join(project, 'server.ts'));
  // No authplane-source condition: '@authplane/sdk/express' resolves to the installed package's dist.
  const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: project,
    env: { ...npmEnv(), AUTHPLANE_ISSUER: fx.url, PORT: String(port), HOST: '127.0.0.1', MCP_RESOURCE: resource },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the installed example did not log "listening".\n${outputTail('its output', output)}`)), CHILD_WAIT_MS);
    child.stderr.on('data', (d) => {
      output += d;
      if (output.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`the installed example exited with ${code}.\n${outputTail('its output', output)}`)));
  });
  const resolved = await run(process.execPath, ['-e', "console.log(import.meta.resolve('@authplane/sdk/express'))", '--input-type=module'], { cwd: project });
  assert.match(resolved.stdout, /node_modules\/@authplane\/sdk\/dist\/express\/index\.js/);

  const challenge = await rpc(resource, 'tools/list', {});
  assert.equal(challenge.status, 401, output);
  assert.equal(challenge.headers.get('www-authenticate'), `Bearer resource_metadata="http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp", scope="notes/read"`);
  const bot = await notesBot(fx);
  const client = createOAuthClient({ issuer: fx.url, ...bot });
  const reader = await client.getToken({ scope: 'notes/read', resource });
  const whoami = await rpc(resource, 'tools/call', { name: 'whoami', arguments: {} }, reader);
  assert.equal(whoami.status, 200, output);
  assert.deepEqual((await whoami.json()).result.content, [{ type: 'text', text: bot.clientId }]);
  const denied = await rpc(resource, 'tools/call', { name: 'add_note', arguments: { text: 'packed' } }, reader);
  assert.equal(denied.status, 403);
  assert.match(denied.headers.get('www-authenticate')!, /scope="notes\/read notes\/write", error="insufficient_scope"/);
  const writer = await client.getToken({ scope: 'notes/read notes/write', resource });
  const added = await rpc(resource, 'tools/call', { name: 'add_note', arguments: { text: 'packed' } }, writer);
  assert.deepEqual((await added.json()).result.content, [{ type: 'text', text: 'added note #1' }]);
});
