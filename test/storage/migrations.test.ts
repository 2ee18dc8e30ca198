import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import knex from 'knex';
import pg from 'pg';
import { fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';
import { runCli } from '../helpers/server.js';

const OURS = ['audit-db/0001_audit_events', 'hello-plugin/0001_hello_rows'];

/** Runs `authserver migrate` twice; returns the directory and the migration names the first run applied. */
async function migrateTwice(t: TestContext, env: NodeJS.ProcessEnv): Promise<{ dir: string; applied: string[] }> {
  const dir = repoTempDir(t, 'migrate-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } } },
    imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
    plugins: ['helloPlugin()'],
  });
  const first = await runCli(['migrate', '--config', config], { cwd: dir, env });
  assert.equal(first.code, 0, first.stderr);
  const match = /^applied (\d+) migration\(s\):\n((?: {2}\S+\n)+)$/.exec(first.stdout);
  assert.ok(match, first.stdout);
  const applied = match[2]!.trim().split(/\s+/);
  assert.equal(applied.length, Number(match[1]));
  for (const name of OURS) assert.ok(applied.includes(name), `${name} applied`);

  const second = await runCli(['migrate', '--config', config], { cwd: dir, env });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'database is up to date (nothing to apply)\n');
  return { dir, applied };
}

test('authserver migrate is idempotent on SQLite: the second run applies nothing and exits 0', async (t) => {
  const { dir, applied } = await migrateTwice(t, {});
  const db = knex({ client: 'better-sqlite3', connection: { filename: join(dir, 'auth.db') }, useNullAsDefault: true });
  try {
    const rows = await db('knex_migrations').select('name').orderBy('id');
    assert.deepEqual(rows.map((r) => r.name), applied, 'each applied migration recorded once');
    const [mode] = await db.raw('pragma journal_mode');
    assert.equal(mode.journal_mode, 'wal', 'the database file was left in WAL mode');
  } finally {
    await db.destroy();
  }
});

test('authserver migrate is idempotent on PostgreSQL: the second run applies nothing and exits 0', async (t) => {
  if (!(await requirePostgres(t))) return;
  const dsn = await freshPostgresDatabase(t);
  const { dir, applied } = await migrateTwice(t, { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: dsn });
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>('select name from knex_migrations order by id');
    assert.deepEqual(rows.map((r) => r.name), applied, 'each applied migration recorded once');
    const { rows: tables } = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_name in ('audit_events', 'hello_rows') order by 1",
    );
    assert.deepEqual(tables.map((r) => r.table_name), ['audit_events', 'hello_rows']);
  } finally {
    await client.end();
  }
  assert.ok(!existsSync(join(dir, 'auth.db')), 'the driver was PostgreSQL: no SQLite file was created');
});
