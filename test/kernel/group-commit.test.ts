import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import knexModule, { type Knex } from 'knex';
import { createDialect, type Dialect } from '../../kernel/storage/dialect.js';
import { GroupCommitWriter } from '../../kernel/storage/group-commit.js';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';

const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;

interface Row extends Record<string, unknown> {
  id: string;
  note: string;
}

/** Two pools on one database: the writer's, and an independent reader that sees only committed rows. */
async function databases(
  t: TestContext,
  kind: 'sqlite' | 'postgres',
  fastPaths = true,
): Promise<{ writer: Knex; reader: Knex; dialect: Dialect } | undefined> {
  let config: Knex.Config;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'authplane-group-commit-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    config = { client: 'better-sqlite3', connection: { filename: join(dir, 'db.sqlite') }, useNullAsDefault: true };
  } else {
    if (!(await requirePostgres(t))) return undefined;
    config = { client: 'pg', connection: await freshPostgresDatabase(t) };
  }
  const writer = knexFactory(config);
  const reader = knexFactory(config);
  t.after(async () => {
    await writer.destroy();
    await reader.destroy();
  });
  await writer.schema.createTable('gc_rows', (table) => {
    table.string('id', 64).primary();
    table.string('note', 64).notNullable();
  });
  return { writer, reader, dialect: createDialect(kind, { fastPaths }) };
}

const committedIds = async (reader: Knex) => (await reader('gc_rows').select('id').orderBy('id')).map((r: { id: string }) => r.id);

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: a turn's rows commit together; \`during\` runs once the batch is handed over, its result returned after the commit`, async (t) => {
    const dbs = await databases(t, kind);
    if (!dbs) return;
    const writer = new GroupCommitWriter<Row>(() => dbs.writer, () => dbs.dialect, 'gc_rows');
    const events: string[] = [];
    // The insert hands its pooled connection back once the database has answered it.
    const pool = (dbs.writer.client as { pool: { on(event: 'release', fn: () => void): void } }).pool;
    pool.on('release', () => events.push('connection released'));
    const writes = ['a', 'b', 'c'].map((id) =>
      writer
        .write({ id, note: 'x' }, () => {
          events.push(`during ${id}`);
          return `token-${id}`;
        })
        .then(async (result) => {
          events.push(`resolved ${id}`);
          // The independent reader already sees every row of the batch: the commit came first.
          assert.deepEqual(await committedIds(dbs.reader), ['a', 'b', 'c']);
          return result;
        }),
    );
    events.push('all queued');
    assert.deepEqual(await Promise.all(writes), ['token-a', 'token-b', 'token-c']);
    assert.deepEqual(events.slice(0, 5), ['all queued', 'during a', 'during b', 'during c', 'connection released']);
    assert.deepEqual(events.slice(5).sort(), ['resolved a', 'resolved b', 'resolved c']);
  });

  test(`${kind}: a \`during\` that throws rejects only its writer; its row is committed with the rest`, async (t) => {
    const dbs = await databases(t, kind);
    if (!dbs) return;
    const writer = new GroupCommitWriter<Row>(() => dbs.writer, () => dbs.dialect, 'gc_rows');
    const failing = writer.write({ id: 'bad', note: 'x' }, () => {
      throw new Error('signing failed');
    });
    const fine = writer.write({ id: 'good', note: 'y' }, () => 'ok');
    const plain = writer.write({ id: 'plain', note: 'z' });
    await assert.rejects(failing, /signing failed/);
    assert.equal(await fine, 'ok');
    assert.equal(await plain, undefined);
    assert.deepEqual(await committedIds(dbs.reader), ['bad', 'good', 'plain']);
  });

  test(`${kind}: when the batch fails every writer in it is rejected, \`during\`'s results are withheld and no row is kept`, async (t) => {
    const dbs = await databases(t, kind);
    if (!dbs) return;
    const writer = new GroupCommitWriter<Row>(() => dbs.writer, () => dbs.dialect, 'gc_rows');
    // The same primary key twice in one batch: the database refuses the whole transaction.
    const results = await Promise.allSettled([
      writer.write({ id: 'dup', note: 'x' }, () => 'token-1'),
      writer.write({ id: 'other', note: 'x' }, () => 'token-2'),
      writer.write({ id: 'dup', note: 'y' }, () => 'token-3'),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected', 'rejected'],
    );
    for (const r of results) assert.match(String((r as PromiseRejectedResult).reason), /unique|duplicate/i);
    assert.deepEqual(await committedIds(dbs.reader), []);
    await writer.drain();
  });

  test(`${kind}: with server.fastPaths off the batch goes through knex's builder, and writers still resolve only after the commit`, async (t) => {
    for (const fastPaths of [true, false]) {
      const dbs = await databases(t, kind, fastPaths);
      if (!dbs) return;
      const built: string[] = [];
      dbs.writer.on('query', (query: { sql: string }) => built.push(query.sql));
      const writer = new GroupCommitWriter<Row>(() => dbs.writer, () => dbs.dialect, 'gc_rows');
      const writes = ['a', 'b'].map((id) =>
        writer.write({ id, note: 'x' }, () => `token-${id}`).then(async (result) => {
          assert.deepEqual(await committedIds(dbs.reader), ['a', 'b'], 'committed before the writer resolves');
          return result;
        }),
      );
      assert.deepEqual(await Promise.all(writes), ['token-a', 'token-b']);
      const inserts = built.filter((sql) => /^insert into [`"]gc_rows[`"]/i.test(sql));
      if (fastPaths) assert.deepEqual(inserts, [], 'on: the rows go on the driver connection, past the builder');
      else assert.equal(inserts.length, 1, `off: one builder INSERT for the batch (${built.join(' | ')})`);
    }
  });
}
