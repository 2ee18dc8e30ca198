/**
 * Servers under test as child processes, each pinned to the server core: ours (the `authserver serve` CLI, compiled
 * or from source) and oidc-provider (bench/servers/oidc-provider.mjs). Every child is killed if the benchmark dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { COMPILED_CLI, REPO_ROOT } from './build.js';
import { pinned, SERVER_CORE } from './cpu.js';

export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

export interface RunningServer {
  name: string;
  pid: number;
  url: string;
  adminUrl?: string;
  /** Spawn → first successful readiness response, ms. */
  readyMs: number;
  /** The last few KiB of stderr, for error messages. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One GET without keep-alive: the status, or 0 when nothing answers yet. */
function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Polls until `url` answers 200; every `intervalMs`, failing after `timeoutMs` or when the process exits. */
export async function waitForOk(url: string, child: ChildProcess, timeoutMs = 60_000, intervalMs = 2): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await probe(url)) !== 200) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
    if (performance.now() > deadline) throw new Error(`no 200 from ${url} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function startChild(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; readyUrl: string; url: string; adminUrl?: string; core?: number | string; stdout?: string },
): Promise<RunningServer> {
  const [cmd, argv] = pinned(options.core ?? SERVER_CORE, command, args);
  const started = performance.now();
  const stdout = options.stdout === undefined ? 'ignore' : openSync(options.stdout, 'a');
  const child = spawn(cmd, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', stdout, 'pipe'] });
  if (typeof stdout === 'number') closeSync(stdout);
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-8192)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  try {
    await waitForOk(options.readyUrl, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start: ${(err as Error).message}\n${stderr}`);
  }
  const readyMs = performance.now() - started;
  return {
    name,
    pid: child.pid!,
    url: options.url,
    adminUrl: options.adminUrl,
    readyMs,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface AuthPlaneOptions {
  /** Working directory: SQLite file and keys go here; an authplane.config.ts here is loaded. */
  dir: string;
  /** `compiled` runs dist/bin/authserver.js; `source` runs bin/authserver.ts through tsx. */
  mode: 'compiled' | 'source';
  logLevel?: string;
  /** Extra CLI arguments after `serve` (e.g. `--config x.ts`). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** The core (or taskset core list) to run on; default the server core. */
  core?: number | string;
  /** Options for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Another checkout whose build to run (compiled mode), e.g. a git worktree of the commit to compare against. */
  root?: string;
  /** A file the server's stdout is appended to (its log, V8's --trace-gc lines); discarded by default. */
  stdout?: string;
}

/** The node flags the compiled binary's shebang names (`#!/usr/bin/env -S node <flags>`): how `authserver` runs. */
export function shebangFlags(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S node(?: (.*))?$/.exec(first);
  return match?.[1] ? match[1].split(' ') : [];
}

export function authplaneCommand(mode: AuthPlaneOptions['mode'], root = REPO_ROOT): string[] {
  const cli = root === REPO_ROOT ? COMPILED_CLI : join(root, 'dist/bin/authserver.js');
  return mode === 'compiled'
    ? [...shebangFlags(cli), cli]
    : // Resolved here: `--import tsx` would be resolved from the server's working directory, a temp dir.
      ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bin/authserver.ts')];
}

/**
 * Writes `bench.config.mjs` into `dir`: the default plugins plus `oauth` (authorize, login, consent, the code and
 * refresh grants) when the preset does not already include it, imported from the same build the server runs, so the
 * config shares the running kernel's modules. A `.mjs` config costs no TypeScript loader. Returns the file name.
 */
/**
 * `extra`: plugins added after the preset, as calls of factories exported by the plugins barrel
 * (`['trustedIssuers({ allowPrivateAddresses: true })', 'privateKeyJwt()']`).
 */
export function writeOAuthConfig(dir: string, mode: AuthPlaneOptions['mode'], root = REPO_ROOT, extra: readonly string[] = []): string {
  const [preset, plugins] = mode === 'compiled' ? ['dist/bundle/plugins/preset-default.js', 'dist/bundle/plugins/index.js'] : ['plugins/preset-default.ts', 'plugins/index.ts'];
  const file = 'bench.config.mjs';
  writeFileSync(
    join(dir, file),
    [
      `import { defaultPlugins } from ${JSON.stringify(pathToFileURL(join(root, preset)).href)};`,
      `import * as barrel from ${JSON.stringify(pathToFileURL(join(root, plugins)).href)};`,
      'const { oauth } = barrel;',
      'const list = defaultPlugins();',
      "if (!list.some((p) => p.definition.name === 'oauth')) list.push(oauth());",
      ...extra.map((call) => `list.push(barrel.${call});`),
      'export default { plugins: list };',
      '',
    ].join('\n'),
  );
  return file;
}

/** `authserver serve` with SQLite and keys under `dir`, ready once `/health` answers 200. */
export async function startAuthPlane(options: AuthPlaneOptions): Promise<RunningServer> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    // The address the load goes to, so discovery, redirects and a DPoP proof's htu all name what clients use.
    AUTHPLANE_SERVER_ISSUER: url,
    AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}`,
    AUTHPLANE_ADMIN_ADDRESS: `127.0.0.1:${adminPort}`,
    AUTHPLANE_STORAGE_SQLITE_PATH: join(options.dir, 'authserver.db'),
    AUTHPLANE_SIGNING_KEY_PATH: join(options.dir, 'keys'),
    AUTHPLANE_ADMIN_API_KEY: BENCH_ADMIN_KEY,
    AUTHPLANE_LOG_LEVEL: options.logLevel ?? 'info',
    ...options.env,
  };
  return startChild(
    'authplane',
    process.execPath,
    [...(options.nodeArgs ?? []), ...authplaneCommand(options.mode, options.root), 'serve', ...(options.args ?? [])],
    { cwd: options.dir, env, url, adminUrl: `http://127.0.0.1:${adminPort}`, readyUrl: `${url}/health`, core: options.core, stdout: options.stdout },
  );
}

/** oidc-provider with an ES256 key on loopback; `profile` selects its configuration (see the server script). */
export async function startOidcProvider(options: { profile?: string; env?: NodeJS.ProcessEnv; core?: number } = {}): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startChild(
    'oidc-provider',
    process.execPath,
    [join(REPO_ROOT, 'bench/servers/oidc-provider.mjs'), '--port', String(port), '--profile', options.profile ?? 'wellknown'],
    {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...options.env },
      url,
      readyUrl: `${url}/.well-known/openid-configuration`,
      core: options.core,
    },
  );
}

export function oidcProviderVersion(): string {
  const path = createRequire(import.meta.url).resolve('oidc-provider/package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}
