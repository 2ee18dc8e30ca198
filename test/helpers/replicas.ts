/**
 * Two (or more) servers on one fresh PostgreSQL database, as replicas behind a load balancer would be: the same
 * plugins and config, each its own process state (in-process here; spawn `authserver serve` for kill -9). The
 * database is dropped only after every replica stopped.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { AuthPlaneConfig, PluginInstance } from 'authplane';
import { keystorePostgres } from 'authplane/plugins';
import { startServer, type TestServer } from 'authplane/testing';
import { freshPostgresDatabase } from './postgres.js';

/** A key-encryption key for the `postgres` key store, fresh per test run. */
export function freshKek(): string {
  return randomBytes(32).toString('base64');
}

export interface ReplicaSetOptions {
  /** The plugins of each replica (called once per replica: plugin instances are not shared between servers). */
  plugins: () => PluginInstance[];
  config?: AuthPlaneConfig;
  env?: NodeJS.ProcessEnv;
  /** How many replicas; default 2. */
  count?: number;
  /** A DSN for a replica, given the database's (e.g. through a proxy). */
  dsnFor?: (index: number, dsn: string) => string;
}

export interface ReplicaSet {
  replicas: TestServer[];
  dsn: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Starts the replicas one after the other on a fresh database with the `postgres` key store, so they share their
 * signing keys. `signing.reloadInterval` is an hour: a change reaching another replica arrives by LISTEN/NOTIFY,
 * never by the periodic re-read.
 */
export async function startReplicas(t: TestContext, options: ReplicaSetOptions): Promise<ReplicaSet> {
  const drops: (() => unknown)[] = [];
  const replicas: TestServer[] = [];
  t.after(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    for (const drop of drops) await drop();
  });
  const dsn = await freshPostgresDatabase({ after: (fn) => drops.push(fn) });
  const fastPaths = process.env.AUTHPLANE_SERVER_FAST_PATHS;
  const env: NodeJS.ProcessEnv = {
    AUTHPLANE_KEYSTORE_POSTGRES_KEK: freshKek(),
    ...(fastPaths === undefined ? {} : { AUTHPLANE_SERVER_FAST_PATHS: fastPaths }),
    ...options.env,
  };
  for (let i = 0; i < (options.count ?? 2); i++) {
    replicas.push(
      await startServer({
        storage: 'postgres',
        postgresDsn: options.dsnFor ? options.dsnFor(i, dsn) : dsn,
        env,
        plugins: [keystorePostgres(), ...options.plugins()],
        config: {
          ...options.config,
          signing: { keyStore: 'postgres', reloadInterval: 3600, ...options.config?.signing },
        },
      }),
    );
  }
  return { replicas, dsn, env };
}
