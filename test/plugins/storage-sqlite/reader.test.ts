/**
 * What the synchronous reader (plugins/storage-sqlite/reader.ts) relies on in SQLite's WAL mode through
 * better-sqlite3, pinned against the version installed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import knexModule from 'knex';
import { openReader } from '../../../plugins/storage-sqlite/reader.js';
import { tempDir } from '../../helpers/server.js';

const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

test('the read connection sees a commit of the knex writer at once, never its open transaction, and refuses writes', async (t) => {
  const filename = join(tempDir(t, 'authplane-reader-'), 'db.sqlite');
  const writer = knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        done(null, conn);
      },
    },
  });
  t.after(() => writer.destroy());
  await writer.schema.createTable('denied', (table) => table.string('jti').primary());
  const reader = openReader(filename);
  t.after(() => reader.close());
  const denied = (jti: string) => reader.get('select 1 from "denied" where "jti" = ? limit 1', [jti]) !== undefined;

  assert.equal(denied('a'), false);
  await writer('denied').insert({ jti: 'a' });
  assert.equal(denied('a'), true, 'committed: seen at once, in the same turn');

  let commit!: () => void;
  const gate = new Promise<void>((resolve) => (commit = resolve));
  let inserted!: () => void;
  const insertDone = new Promise<void>((resolve) => (inserted = resolve));
  const transaction = writer.transaction(async (trx) => {
    await trx('denied').insert({ jti: 'b' });
    inserted();
    await gate;
  });
  await insertDone;
  assert.equal(denied('b'), false, 'not while the writer’s transaction is open (and the read did not block on it)');
  commit();
  await transaction;
  assert.equal(denied('b'), true);

  assert.throws(() => reader.get('insert into "denied" ("jti") values (?) returning jti', ['c']), /readonly|query_only|attempt to write/i);
});
