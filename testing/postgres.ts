/**
 * A fresh PostgreSQL database (created on the server at AUTHPLANE_TEST_PG_DSN, default postgres@127.0.0.1:5432 with
 * trust auth, dropped on cleanup). `pg` is a dependency of authplane; it is loaded only when PostgreSQL is asked for.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import type { Cleanup } from './cleanup.js';

/** The maintenance database the kit connects to for `create database` / `drop database`. */
export const PG_ADMIN_DSN = process.env.AUTHPLANE_TEST_PG_DSN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A connection on a loaded machine can take seconds; one refused because every slot is taken ("too many clients",
 * other test files' servers holding their pools) is tried again rather than failing the test. Either way the wait
 * is bounded, and the error says what was waited for.
 */
const CONNECT_WAIT_MS = 60_000;
const TOO_MANY_CONNECTIONS = '53300';

async function maintenanceConnection(purpose: string): Promise<Client> {
  const { default: pg } = await import('pg');
  const deadline = Date.now() + CONNECT_WAIT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: PG_ADMIN_DSN, connectionTimeoutMillis: CONNECT_WAIT_MS });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      const code = (err as { code?: string }).code;
      if (code !== TOO_MANY_CONNECTIONS || Date.now() > deadline) {
        throw new Error(`could not connect to PostgreSQL at ${PG_ADMIN_DSN} to ${purpose} (waited up to ${CONNECT_WAIT_MS / 1000} s): ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Why PostgreSQL cannot be used for tests, or undefined when it can (e.g. to skip PostgreSQL tests locally). */
export async function postgresProblem(): Promise<string | undefined> {
  let client: Client | undefined;
  try {
    client = await maintenanceConnection('check that it is reachable');
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client?.end().catch(() => {});
  }
}

/** Creates an empty database and returns its DSN; cleanup drops it (with force: a leaked pool does not block it). */
export async function freshPostgresDatabase(cleanup: Cleanup): Promise<string> {
  const name = `authplane_test_${randomBytes(6).toString('hex')}`;
  const admin = await maintenanceConnection(`create database ${name}`);
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  cleanup.after(async () => {
    const client = await maintenanceConnection(`drop database ${name}`);
    try {
      await client.query(`drop database if exists ${name} with (force)`);
    } finally {
      await client.end();
    }
  });
  const url = new URL(PG_ADMIN_DSN);
  url.pathname = `/${name}`;
  return url.toString();
}
