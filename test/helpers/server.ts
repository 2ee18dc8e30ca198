/**
 * Real servers for tests: in-process (port 0, temp SQLite file or a fresh PostgreSQL database) or as a child
 * process running the CLI. Everything is cleaned up through the test context's `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import { AuthPlane, type AuthPlaneConfig, type PluginInstance } from 'authplane';
import { auditDb, keystoreKeyfile, storagePostgres, storageSqlite } from 'authplane/plugins';
import { freshPostgresDatabase } from './postgres.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export function tempDir(t: TestContext | { after(fn: () => unknown): void }, prefix = 'authplane-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestServer {
  server: AuthPlane;
  url: string;
  adminUrl: string;
  dir: string;
  logs: Record<string, unknown>[];
  /** The PostgreSQL DSN when the server runs on PostgreSQL, for a second server sharing the database. */
  postgresDsn?: string;
  /** fetch against the admin listener with the admin key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
}

/** The storage/key plugins every server needs, plus the test's own. */
export function basePlugins(): PluginInstance[] {
  return [storageSqlite(), storagePostgres(), keystoreKeyfile(), auditDb()];
}

export async function startServer(
  t: TestContext,
  options: {
    config?: AuthPlaneConfig;
    plugins?: PluginInstance[];
    env?: NodeJS.ProcessEnv;
    storage?: 'sqlite' | 'postgres';
    /** With storage 'postgres': use this database (another server's `postgresDsn`) instead of a fresh one, as a replica. */
    postgresDsn?: string;
    dir?: string;
    /**
     * Listen on a free port chosen up front and use `http://127.0.0.1:<port>` as the issuer, so independent
     * clients that check the issuer against the URL they fetched (oauth4webapi, the MCP SDK) accept it.
     */
    exactIssuer?: boolean;
    /** The server's clock (CreateOptions.now), e.g. a `testClock()` to move token lifetimes and cache ages on. */
    now?: () => number;
  } = {},
): Promise<TestServer> {
  const dir = options.dir ?? tempDir(t);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  // `npm test` runs the HTTP and OAuth tests a second time with AUTHPLANE_SERVER_FAST_PATHS=false (run-tests.mjs):
  // the switch reaches in-process servers from the run's environment unless the test sets it.
  const fastPaths = process.env.AUTHPLANE_SERVER_FAST_PATHS;
  const env: NodeJS.ProcessEnv = {
    AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY,
    ...(fastPaths === undefined ? {} : { AUTHPLANE_SERVER_FAST_PATHS: fastPaths }),
    ...options.env,
  };
  // after-hooks run in the order they are added: the server must stop before its database is dropped.
  let server: AuthPlane | undefined;
  t.after(() => server?.stop());
  if (options.storage === 'postgres') {
    env.AUTHPLANE_STORAGE_DRIVER = 'postgres';
    env.AUTHPLANE_STORAGE_POSTGRES_DSN = options.postgresDsn ?? (await freshPostgresDatabase(t));
  }
  const { plugins = [], config = {} } = options;
  const create = (port: number) => {
    const issuerServer = options.exactIssuer ? { issuer: `http://127.0.0.1:${port}` } : {};
    return new AuthPlane(
      {
        ...config,
        server: { address: `127.0.0.1:${port}`, ...issuerServer, ...config.server },
        admin: { address: '127.0.0.1:0', ...config.admin },
        storage: { ...config.storage, sqlite: { path: join(dir, 'authserver.db') } },
        signing: { keyPath: join(dir, 'keys'), ...config.signing },
        log: { level: 'info', ...config.log },
        plugins: [...basePlugins(), ...plugins, ...(config.plugins ?? [])],
      },
      // A plugin's init or start on a loaded machine can outlast the 30 s default; only a hang should fail a test here.
      { env, logDestination: sink, phaseTimeoutMs: CHILD_WAIT_MS, ...(options.now ? { now: options.now } : {}) },
    );
  };
  let addresses: Awaited<ReturnType<AuthPlane['listen']>> | undefined;
  // A port chosen up front can be taken before the server binds it (another test process, an outgoing connection's
  // local port): then the server is started again on another. Port 0 cannot collide.
  for (let attempt = 1; !addresses; attempt++) {
    server = create(options.exactIssuer ? await freePort() : 0);
    await server.boot();
    try {
      addresses = await server.listen();
    } catch (err) {
      if (!options.exactIssuer || attempt === 5 || !addressInUse(err)) throw err;
      await server.stop();
    }
  }
  const url = `http://127.0.0.1:${addresses.public.port}`;
  const adminUrl = `http://127.0.0.1:${addresses.admin!.port}`;
  return {
    server: server!,
    url,
    adminUrl,
    dir,
    logs,
    postgresDsn: env.AUTHPLANE_STORAGE_POSTGRES_DSN,
    admin: (path, init = {}) =>
      fetch(`${adminUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
      }),
  };
}

function addressInUse(err: unknown): boolean {
  return (err as { cause?: { code?: string } })?.cause?.code === 'EADDRINUSE';
}

/** A port that was free a moment ago (bound to 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * How long a child `authserver` may take to finish a command or to come up. Starting one compiles the sources
 * through tsx, a few seconds on an idle machine and many times that on a loaded one; a wait exists to turn a hang
 * into a failure that says what it waited for, not to measure speed.
 */
export const CHILD_WAIT_MS = 120_000;

/** The end of a child's output, for an error message. */
export function outputTail(label: string, text: string, chars = 4000): string {
  if (!text) return `${label}: (nothing)`;
  return `${label}${text.length > chars ? ` (last ${chars} of ${text.length} characters)` : ''}:\n${text.slice(-chars)}`;
}

// tsx by absolute URL: `--import tsx` resolves from the child's cwd, which a test may put outside the repository.
const TSX_ARGS = ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bin/authserver.ts')];

/** Runs `authserver …` as a child process (source through tsx), with `input` on its stdin, and waits for it to exit. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; user?: { uid: number; gid: number } },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...TSX_ARGS, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...options.user,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timeoutMs = options.timeoutMs ?? CHILD_WAIT_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `\`authserver ${args.join(' ')}\` (in ${options.cwd}) did not exit within ${timeoutMs / 1000} s; killed.\n` +
            `${outputTail('stdout', stdout)}\n${outputTail('stderr', stderr)}`,
        ),
      );
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts `authserver serve` as a child and resolves once it logs `listening` (ports read from the log). */
export async function spawnServe(
  t: TestContext,
  options: { cwd: string; env?: NodeJS.ProcessEnv; args?: string[]; command?: string[] },
): Promise<{ child: ChildProcess; url: string; adminUrl: string | undefined; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(options.command?.[0] ?? process.execPath, [...(options.command?.slice(1) ?? TSX_ARGS), 'serve', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AUTHPLANE_SERVER_ADDRESS: '127.0.0.1:0',
      AUTHPLANE_ADMIN_ADDRESS: '127.0.0.1:0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const what = `\`authserver serve${options.args?.length ? ` ${options.args.join(' ')}` : ''}\` (in ${options.cwd}) to log "listening"`;
  const listening = await new Promise<Record<string, string>>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`waited ${CHILD_WAIT_MS / 1000} s for ${what}; it did not.\n${outputTail('its output', output)}`)),
      CHILD_WAIT_MS,
    );
    const onData = (d: Buffer) => {
      output += d;
      for (const line of output.split('\n')) {
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolvePromise(JSON.parse(line));
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (output += d));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`waited for ${what}, but it exited with code ${code}.\n${outputTail('its output', output)}`));
    });
  });
  const port = (address: string) => address.slice(address.lastIndexOf(':') + 1);
  return {
    child,
    url: `http://127.0.0.1:${port(listening.public!)}`,
    adminUrl: listening.admin === 'disabled' ? undefined : `http://127.0.0.1:${port(listening.admin!)}`,
    output: () => output,
    exited,
  };
}
