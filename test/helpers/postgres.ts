/**
 * A fresh PostgreSQL database per test (created on 127.0.0.1:5432, dropped afterwards). Without a reachable server
 * the test is skipped — except under CI=true, where PostgreSQL tests must run, so it fails instead.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

export const PG_ADMIN_DSN = process.env.AUTHPLANE_TEST_PG_DSN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A connection on a loaded machine can take seconds; one refused because every slot is taken ("too many clients",
 * other test files' servers holding their pools) is tried again rather than failing the test. Either way the wait
 * is bounded, and the error says what was waited for.
 */
const CONNECT_WAIT_MS = 60_000;
const TOO_MANY_CONNECTIONS = '53300';

async function adminClient(purpose: string): Promise<pg.Client> {
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

export async function postgresAvailable(): Promise<boolean> {
  return (await postgresProblem()) === undefined;
}

/** Why PostgreSQL cannot be used, or undefined when it can. */
async function postgresProblem(): Promise<string | undefined> {
  let client: pg.Client | undefined;
  try {
    client = await adminClient('check that it is reachable');
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client?.end().catch(() => {});
  }
}

/** Call at the start of a PostgreSQL test: skips locally without PostgreSQL, fails under CI. */
export async function requirePostgres(t: TestContext): Promise<boolean> {
  const problem = await postgresProblem();
  if (problem === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`PostgreSQL tests must run under CI=true, but: ${problem}`);
  t.skip('PostgreSQL is not reachable');
  return false;
}

export async function freshPostgresDatabase(t: { after(fn: () => unknown): void }): Promise<string> {
  const name = `authplane_test_${randomBytes(6).toString('hex')}`;
  const admin = await adminClient(`create database ${name}`);
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  t.after(async () => {
    const client = await adminClient(`drop database ${name}`);
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
