/**
 * What the statement cache (plugins/storage-sqlite/statement-cache.ts) relies on in knex and better-sqlite3, pinned
 * against the versions installed: an upgrade that changes any of it fails here rather than in production.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import knexModule, { type Knex } from 'knex';
import { cachePreparedStatements } from '../../../plugins/storage-sqlite/statement-cache.js';
import { tempDir } from '../../helpers/server.js';

const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

interface Probe {
  db: Knex;
  /** SQL texts better-sqlite3 compiled (past the cache), in order. */
  compiled: string[];
  /** Methods knex called on any prepared statement. */
  calls: Set<string>;
}

/** knex over better-sqlite3 as the plugin configures it (one pooled connection), the cache installed over a spy. */
function cachedKnex(t: TestContext): Probe {
  const compiled: string[] = [];
  const calls = new Set<string>();
  const db = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: join(tempDir(t, 'authplane-statement-cache-'), 'db.sqlite') },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { prepare(sql: string): object }, done: (err: Error | null, conn: unknown) => void) {
        const prepare = conn.prepare.bind(conn);
        conn.prepare = (sql: string) => {
          compiled.push(sql);
          return spyOn(prepare(sql), calls);
        };
        cachePreparedStatements(conn);
        done(null, conn);
      },
    },
  });
  t.after(() => db.destroy());
  return { db, compiled, calls };
}

/** The statement, with every method knex calls on it recorded by name. */
function spyOn(statement: object, calls: Set<string>): object {
  return new Proxy(statement, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.add(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function withTable(db: Knex): Promise<void> {
  await db.schema.createTable('items', (table) => {
    table.integer('id').primary();
    table.string('name');
  });
}

test('knex prepares every query through the pooled connection’s own prepare, values bound apart: one compilation serves every value', async (t) => {
  const { db, compiled } = cachedKnex(t);
  await withTable(db);
  compiled.length = 0;
  for (const id of [1, 2, 3]) await db('items').insert({ id, name: `item ${id}` });
  for (const id of [1, 2, 3]) assert.deepEqual(await db('items').where({ id }).first(), { id, name: `item ${id}` });
  for (const id of [1, 2]) await db('items').where({ id }).update({ name: 'renamed' });
  for (const id of [1, 2]) await db('items').where({ id }).delete();
  assert.deepEqual(await db('items').select('id'), [{ id: 3 }]);
  // Four shapes of statement, each compiled once whatever the values (and the final select once more).
  assert.equal(compiled.length, 5, compiled.join('\n'));
  assert.equal(new Set(compiled).size, compiled.length, 'no text compiled twice');
  assert.ok(compiled.every((sql) => !/item \d|renamed/.test(sql)), 'values are bound, not written into the text');
});

test('knex runs a statement only to completion (all or run), never iterating one, so a shared statement is never left busy', async (t) => {
  const { db, calls } = cachedKnex(t);
  await withTable(db);
  await db('items').insert([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  await db('items').select('*');
  await db('items').where({ id: 1 }).first();
  await db('items').pluck('name');
  await db('items').count({ n: '*' });
  await db('items').where({ id: 2 }).update({ name: 'c' });
  await db.raw('select name from items where id = ?', [1]);
  await db.transaction(async (trx) => {
    await trx('items').insert({ id: 3, name: 'd' });
    await trx('items').where({ id: 3 }).first();
  });
  const streamed: unknown[] = [];
  for await (const row of db('items').select('id').stream()) streamed.push(row);
  assert.equal(streamed.length, 3);
  await db('items').where({ id: 1 }).delete();
  assert.deepEqual([...calls].sort(), ['all', 'run'], 'no iterate, get, bind, safeIntegers, raw or pluck');

  // Why it matters: a better-sqlite3 statement being iterated refuses to run again until the iteration ends.
  const connection = (await db.client.acquireConnection()) as { prepare(sql: string): { iterate(): Iterator<unknown>; all(): unknown[] } };
  try {
    const statement = connection.prepare('select id from items');
    const iteration = statement.iterate();
    iteration.next();
    assert.throws(() => statement.all(), /busy/i);
    iteration.return?.();
    assert.equal(statement.all().length, 2);
  } finally {
    await db.client.releaseConnection(connection);
  }
});

test('every schema change knex makes goes through prepare as DDL and empties the cache: the next query compiles afresh', async (t) => {
  const { db, compiled } = cachedKnex(t);
  await withTable(db);
  await db('items').insert({ id: 1, name: 'a' });
  const select = async () => {
    const before = compiled.length;
    const rows = await db('items').select('*');
    return { rows, compiledAgain: compiled.slice(before).some((sql) => sql.startsWith('select *')) };
  };
  assert.equal((await select()).compiledAgain, true, 'first time');
  assert.equal((await select()).compiledAgain, false, 'cached');

  const changes: [string, () => Promise<unknown>][] = [
    ['createTable', () => db.schema.createTable('other', (table) => table.increments('id'))],
    ['alterTable add column', () => db.schema.alterTable('items', (table) => table.string('extra').defaultTo('x'))],
    ['alterTable drop column (rebuilds the table)', () => db.schema.alterTable('items', (table) => table.dropColumn('name'))],
    ['index', () => db.schema.alterTable('items', (table) => table.index(['extra'], 'items_extra'))],
    ['dropTable', () => db.schema.dropTable('other')],
  ];
  for (const [change, run] of changes) {
    await run();
    assert.equal((await select()).compiledAgain, true, `after ${change}`);
  }
  assert.deepEqual((await select()).rows, [{ id: 1, extra: 'x' }], 'the current columns');
});

test('better-sqlite3 runs one prepared statement again and again with other values', () => {
  const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => {
    exec(sql: string): void;
    prepare(sql: string): { run(...v: unknown[]): { changes: number }; all(...v: unknown[]): unknown[] };
    close(): void;
  };
  const db = new Database(':memory:');
  try {
    db.exec('create table t (v integer)');
    const insert = db.prepare('insert into t (v) values (?)');
    for (const v of [1, 2, 3]) assert.equal(insert.run(v).changes, 1);
    const select = db.prepare('select v from t where v >= ? order by v');
    assert.deepEqual(select.all(2), [{ v: 2 }, { v: 3 }]);
    assert.deepEqual(select.all(3), [{ v: 3 }]);
  } finally {
    db.close();
  }
});
