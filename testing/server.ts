/**
 * A real server for a plugin's tests: in-process, listeners on free loopback ports, a temp SQLite file (or a fresh
 * PostgreSQL database), its signing keys in a temp folder, the admin API on with a known key, its log captured.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AuthPlane, type AuthPlaneConfig, type PluginInstance } from 'authplane';
import { auditDb, keystoreKeyfile, storagePostgres, storageSqlite } from 'authplane/plugins';
import { adminFetch, type AdminApi } from './admin.js';
import { CleanupSteps, type Cleanup } from './cleanup.js';
import { freePort, tempDir } from './files.js';
import { freshPostgresDatabase } from './postgres.js';

/** The admin API key of every server the kit starts (unless `env` sets AUTHPLANE_ADMIN_API_KEY). */
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/**
 * How long a plugin's init or start may take before boot fails. Higher than the server's 30 s default: on a loaded
 * CI machine only a hang should fail a test.
 */
export const PHASE_TIMEOUT_MS = 120_000;

export interface StartOptions {
  /** The plugins under test (and those they depend on), after the storage, key-store and audit plugins. */
  plugins?: PluginInstance[];
  /** More configuration; `server`, `admin`, `signing` and `log` are merged over the kit's. */
  config?: AuthPlaneConfig;
  /** The server's environment; the process environment is not read. */
  env?: NodeJS.ProcessEnv;
  /** 'sqlite' (default): a file in the temp folder; 'postgres': a fresh database, dropped on cleanup. */
  storage?: 'sqlite' | 'postgres';
  /** With storage 'postgres': use this database (another server's `postgresDsn`) instead of a fresh one, as a replica. */
  postgresDsn?: string;
  /** The folder for the SQLite file and signing keys; default a temp folder removed on cleanup. */
  dir?: string;
  /**
   * Listen on a free port chosen up front and use `http://127.0.0.1:<port>` as the issuer, so independent
   * clients that check the issuer against the URL they fetched (oauth4webapi, the MCP SDK) accept it.
   */
  exactIssuer?: boolean;
  /** The server's clock (milliseconds since the epoch), to move token lifetimes and cache ages without sleeping. */
  now?: () => number;
}

export interface TestServer extends AdminApi {
  server: AuthPlane;
  /** The public listener, `http://127.0.0.1:<port>`. */
  url: string;
  adminUrl: string;
  dir: string;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** The PostgreSQL DSN when the server runs on PostgreSQL, for a second server sharing the database. */
  postgresDsn?: string;
  /** fetch against the admin listener with the admin key (and a JSON content type when there is a body). */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** Stops the server, then drops its database and removes its temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** The storage, key-store and audit plugins every server needs; the kit adds them before the test's own. */
export function basePlugins(): PluginInstance[] {
  return [storageSqlite(), storagePostgres(), keystoreKeyfile(), auditDb()];
}

/**
 * Boots and starts a server. With `cleanup` (node:test's `t`, or anything with `after(fn)`) it is stopped after the
 * test; without, call `stop()`. A server that fails to boot is cleaned up before the error is thrown.
 */
export function startServer(options?: StartOptions): Promise<TestServer>;
export function startServer(cleanup: Cleanup, options?: StartOptions): Promise<TestServer>;
export async function startServer(first?: Cleanup | StartOptions, second?: StartOptions): Promise<TestServer> {
  const outer = typeof (first as Cleanup | undefined)?.after === 'function' ? (first as Cleanup) : undefined;
  const options = (outer ? second : (first as StartOptions | undefined)) ?? {};
  const steps = new CleanupSteps();
  outer?.after(() => steps.run());
  // Steps run in the order added: the server stops before its database is dropped and its folder removed.
  let server: AuthPlane | undefined;
  steps.after(() => server?.stop());
  try {
    const dir = options.dir ?? tempDir(steps);
    const logs: Record<string, unknown>[] = [];
    const env: NodeJS.ProcessEnv = { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY, ...options.env };
    if (options.storage === 'postgres') {
      env.AUTHPLANE_STORAGE_DRIVER = 'postgres';
      env.AUTHPLANE_STORAGE_POSTGRES_DSN = options.postgresDsn ?? (await freshPostgresDatabase(steps));
    }
    const create = (port: number) => new AuthPlane(serverConfig(options, dir, port), {
      env,
      logDestination: logSink(logs),
      phaseTimeoutMs: PHASE_TIMEOUT_MS,
      ...(options.now ? { now: options.now } : {}),
    });
    let addresses: Awaited<ReturnType<AuthPlane['listen']>> | undefined;
    // A port chosen up front can be taken before the server binds it (another test process, an outgoing
    // connection's local port): then the server is started again on another. Port 0 cannot collide.
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
    const adminUrl = `http://127.0.0.1:${addresses.admin!.port}`;
    return {
      server: server!,
      url: `http://127.0.0.1:${addresses.public.port}`,
      adminUrl,
      dir,
      logs,
      postgresDsn: env.AUTHPLANE_STORAGE_POSTGRES_DSN,
      admin: adminFetch(adminUrl, env.AUTHPLANE_ADMIN_API_KEY ?? ADMIN_KEY),
      stop: () => steps.run(),
    };
  } catch (err) {
    await steps.run().catch(() => {});
    throw err;
  }
}

function serverConfig(options: StartOptions, dir: string, port: number): AuthPlaneConfig {
  const { plugins = [], config = {} } = options;
  return {
    ...config,
    server: { address: `127.0.0.1:${port}`, ...(options.exactIssuer ? { issuer: `http://127.0.0.1:${port}` } : {}), ...config.server },
    admin: { address: '127.0.0.1:0', ...config.admin },
    storage: { ...config.storage, sqlite: { path: join(dir, 'authserver.db') } },
    signing: { keyPath: join(dir, 'keys'), ...config.signing },
    log: { level: 'info', ...config.log },
    plugins: [...basePlugins(), ...plugins, ...(config.plugins ?? [])],
  };
}

/** The server's JSON log lines, parsed into `logs` as they are written. */
function logSink(logs: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
}

function addressInUse(err: unknown): boolean {
  return (err as { cause?: { code?: string } })?.cause?.code === 'EADDRINUSE';
}
