/**
 * SingleUseIds (kernel/storage/single-use.ts) on real databases, on the driver's connection (fast paths) and through
 * knex: an id is fresh once, the same id twice in one turn is fresh for the first claim only, a turn of more ids
 * than one statement holds on PostgreSQL is claimed whole, and two servers on one database claiming one id at once
 * get exactly one "fresh".
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import { SingleUseIds } from 'authplane';
import { createDialect } from '../../kernel/storage/dialect.js';
import { scratchDatabase } from '../helpers/scratch-database.js';

async function database(t: TestContext, kind: 'sqlite' | 'postgres'): Promise<Knex | undefined> {
  const db = await scratchDatabase(t, kind);
  if (!db) return undefined;
  await db.schema.createTable('used_ids', (table) => {
    table.string('id', 64).primary();
    table.bigInteger('expires_at').notNullable();
  });
  return db;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  for (const fastPaths of [true, false]) {
    test(`${kind}, fast paths ${fastPaths ? 'on' : 'off'}: an id is fresh once, in a turn and across turns, and every id of a large turn is written with its expiry`, async (t) => {
      const db = await database(t, kind);
      if (!db) return;
      const dialect = createDialect(kind, { fastPaths });
      const ids = new SingleUseIds('used_ids', () => db, () => dialect);
      const expires = Date.now() + 60_000;

      // One turn: the same id twice (the first claim wins), and another id.
      assert.deepEqual(await Promise.all([ids.claim('a', expires), ids.claim('a', expires), ids.claim('b', expires)]), [true, false, true]);
      assert.deepEqual(await Promise.all([ids.claim('a', expires), ids.claim('c', expires)]), [false, true], 'a later turn');

      // More ids than one PostgreSQL statement takes (50 rows), some of them used before.
      const many = Array.from({ length: 120 }, (_, i) => `m${i}`);
      const answers = await Promise.all([...many.map((id) => ids.claim(id, expires + 1)), ids.claim('b', expires)]);
      assert.deepEqual(answers, [...many.map(() => true), false]);
      const rows = await db('used_ids').select('id', 'expires_at').orderBy('id');
      assert.equal(rows.length, 3 + many.length);
      assert.equal(Number(rows.find((r: { id: string }) => r.id === 'm7')!.expires_at), expires + 1);
      assert.equal(Number(rows.find((r: { id: string }) => r.id === 'a')!.expires_at), expires);

      // An expiry with a fraction of a millisecond (from a NumericDate) is kept as the next whole one.
      assert.equal(await ids.claim('fraction', expires + 0.4567), true);
      assert.equal(Number((await db('used_ids').where({ id: 'fraction' }).first('expires_at'))!.expires_at), expires + 1);
    });
  }

  test(`${kind}: two servers on one database claiming the same ids in the same turn: each id is fresh for exactly one`, async (t) => {
    const db = await database(t, kind);
    if (!db) return;
    const dialect = createDialect(kind, { fastPaths: true });
    const one = new SingleUseIds('used_ids', () => db, () => dialect);
    const other = new SingleUseIds('used_ids', () => db, () => dialect);
    const expires = Date.now() + 60_000;
    const names = Array.from({ length: 30 }, (_, i) => `shared-${i}`);
    const [a, b] = await Promise.all([Promise.all(names.map((id) => one.claim(id, expires))), Promise.all(names.map((id) => other.claim(id, expires)))]);
    names.forEach((id, i) => assert.equal(Number(a[i]) + Number(b[i]), 1, `${id}: fresh for one server exactly`));
  });
}
