/**
 * A bare knex database for tests of storage code below the server: a fresh SQLite file, or a fresh PostgreSQL
 * database (undefined when the test was skipped for want of one, see requirePostgres). Destroyed after the test.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import knexModule, { type Knex } from 'knex';
import { freshPostgresDatabase, requirePostgres } from './postgres.js';
import { tempDir } from './server.js';

const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

export async function scratchDatabase(t: TestContext, kind: 'sqlite' | 'postgres', pgPoolMax = 4): Promise<Knex | undefined> {
  let config: Knex.Config;
  if (kind === 'sqlite') {
    config = { client: 'better-sqlite3', connection: { filename: join(tempDir(t, 'authplane-scratch-'), 'db.sqlite') }, useNullAsDefault: true, pool: { min: 1, max: 1 } };
  } else {
    if (!(await requirePostgres(t))) return undefined;
    config = { client: 'pg', connection: await freshPostgresDatabase(t), pool: { min: 1, max: pgPoolMax } };
  }
  const db = knexFactory(config);
  t.after(() => db.destroy());
  return db;
}
