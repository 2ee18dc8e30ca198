/**
 * What the driver-level statements (kernel/fast-path/driver-statements.ts) rely on in knex, better-sqlite3 and pg,
 * pinned against the versions installed: an upgrade that changes any of it fails here rather than in production.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import knexModule, { type Knex } from 'knex';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/server.js';

const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

type Kind = 'sqlite' | 'postgres';
interface Pool {
  acquireConnection(): Promise<Record<string, unknown>>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** knex with one pooled connection (as storage-sqlite configures it), recording what afterCreate was handed. */
async function oneConnection(t: TestContext, kind: Kind): Promise<{ db: Knex; pool: Pool; created: unknown[] } | undefined> {
  const created: unknown[] = [];
  const pool = {
    min: 1,
    max: 1,
    afterCreate(conn: unknown, done: (err: Error | null, conn: unknown) => void) {
      created.push(conn);
      done(null, conn);
    },
  };
  let config: Knex.Config;
  if (kind === 'sqlite') {
    config = { client: 'better-sqlite3', connection: { filename: join(tempDir(t, 'authplane-driver-'), 'db.sqlite') }, useNullAsDefault: true, pool };
  } else {
    if (!(await requirePostgres(t))) return undefined;
    config = { client: 'pg', connection: await freshPostgresDatabase(t), pool };
  }
  const db = knexFactory(config);
  t.after(() => db.destroy());
  await db.schema.createTable('rows', (table) => table.string('id', 64).primary());
  return { db, pool: db.client as unknown as Pool, created };
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: knex's acquireConnection hands out the driver's own connection, the one afterCreate was given, and releaseConnection takes it back`, async (t) => {
    const setup = await oneConnection(t, kind);
    if (!setup) return;
    const { pool, created } = setup;
    const first = await pool.acquireConnection();
    assert.equal(created.length, 1);
    assert.equal(first, created[0], 'the very object afterCreate configured');
    if (kind === 'sqlite') {
      assert.equal(typeof first.prepare, 'function', 'better-sqlite3 Database: prepare');
      assert.equal(typeof first.transaction, 'function', 'better-sqlite3 Database: transaction');
    } else {
      assert.equal(typeof first.query, 'function', 'pg Client: query');
      assert.equal(typeof first.prepare, 'undefined', 'pg Client has no prepare (how the kernel tells the drivers apart)');
    }
    await pool.releaseConnection(first);
    const again = await pool.acquireConnection();
    assert.equal(again, first, 'released to the pool, handed out again');
    await pool.releaseConnection(again);
  });

  test(`${kind}: acquireConnection waits while a transaction holds the pool's only connection, and then sees the committed rows`, async (t) => {
    const setup = await oneConnection(t, kind);
    if (!setup) return;
    const { db, pool } = setup;
    let commit!: () => void;
    const gate = new Promise<void>((resolve) => (commit = resolve));
    let inserted!: () => void;
    const insertDone = new Promise<void>((resolve) => (inserted = resolve));
    const transaction = db.transaction(async (trx) => {
      await trx('rows').insert({ id: 'in-transaction' });
      inserted();
      await gate;
    });
    await insertDone;
    let acquired = false;
    const waiting = pool.acquireConnection().then((connection) => ((acquired = true), connection));
    await turns(20);
    assert.equal(acquired, false, 'no connection while the transaction holds it');
    commit();
    await transaction;
    const connection = await waiting;
    try {
      if (kind === 'sqlite') {
        const c = connection as { prepare(sql: string): { get(...v: unknown[]): unknown } };
        assert.deepEqual(c.prepare('select id from "rows" where id = ?').get('in-transaction'), { id: 'in-transaction' });
      } else {
        const c = connection as { query(q: object): Promise<{ rowCount: number | null }> };
        const found = await c.query({ text: 'select id from "rows" where id = $1', values: ['in-transaction'] });
        assert.equal(found.rowCount, 1);
      }
    } finally {
      await pool.releaseConnection(connection);
    }
  });
}

test('sqlite: a better-sqlite3 transaction function runs its statements atomically, rolling all back when one fails', async (t) => {
  const setup = await oneConnection(t, 'sqlite');
  const { pool, db } = setup!;
  const c = (await pool.acquireConnection()) as {
    prepare(sql: string): { run(...v: unknown[]): unknown };
    transaction(fn: () => void): () => void;
  };
  try {
    const insert = c.prepare('insert into "rows" ("id") values (?)');
    assert.throws(() => c.transaction(() => ['a', 'b', 'a'].forEach((id) => insert.run(id)))(), /UNIQUE/);
    c.transaction(() => ['c', 'd'].forEach((id) => insert.run(id)))();
  } finally {
    await pool.releaseConnection(c);
  }
  assert.deepEqual((await db('rows').select('id').orderBy('id')).map((r: { id: string }) => r.id), ['c', 'd']);
});

test('postgres: a named statement is prepared once per connection and reused by name with other values; the name is bound to its text', async (t) => {
  const setup = await oneConnection(t, 'postgres');
  if (!setup) return;
  const { pool } = setup;
  const c = (await pool.acquireConnection()) as { query(q: { name?: string; text: string; values?: unknown[] }): Promise<{ rowCount: number | null }> };
  try {
    const text = 'insert into "rows" ("id") values ($1)';
    for (const id of ['a', 'b']) assert.equal((await c.query({ name: 'authplane_pin_insert', text, values: [id] })).rowCount, 1);
    // One name, one shape: which is why the kernel names its multi-row INSERTs by table, columns and row count.
    await assert.rejects(
      c.query({ name: 'authplane_pin_insert', text: 'insert into "rows" ("id") values ($1), ($2)', values: ['c', 'd'] }),
      /Prepared statements must be unique/,
    );
  } finally {
    await pool.releaseConnection(c);
  }
});
