/**
 * A fresh PostgreSQL database per test (created on 127.0.0.1:5432, dropped afterwards). Without a reachable server
 * the test is skipped — except under CI=true, where PostgreSQL tests must run, so it fails instead.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

export const PG_ADMIN_DSN = process.env.AUTHPLANE_TEST_PG_DSN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_DSN, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Call at the start of a PostgreSQL test: skips locally without PostgreSQL, fails under CI. */
export async function requirePostgres(t: TestContext): Promise<boolean> {
  if (await postgresAvailable()) return true;
  if (process.env.CI === 'true') throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_DSN} (CI=true: PostgreSQL tests must run)`);
  t.skip('PostgreSQL is not reachable');
  return false;
}

export async function freshPostgresDatabase(t: { after(fn: () => unknown): void }): Promise<string> {
  const name = `authplane_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_DSN });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  t.after(async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_DSN });
    await client.connect();
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  });
  const url = new URL(PG_ADMIN_DSN);
  url.pathname = `/${name}`;
  return url.toString();
}
