/**
 * The kernel's cascading revocation on its own tables: batches, the depth bound, expired and already-revoked
 * tokens — the cases an HTTP test would need hundreds of tokens for. Real SQLite files and real PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import knexModule, { type Knex } from 'knex';
import { tokenIssuances0001 } from '../../migrations/kernel/0001_token_issuances.js';
import { issuanceLineage0002 } from '../../migrations/kernel/0002_issuance_lineage.js';
import { LINEAGE_MAX_DEPTH, revokeLineage } from '../../kernel/token/lineage.js';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';

const knexFactory = ((knexModule as unknown as { default?: unknown }).default ?? knexModule) as typeof knexModule;
const NOW = 1_800_000_000_000;

async function database(t: TestContext, kind: 'sqlite' | 'postgres'): Promise<Knex | undefined> {
  let config: Knex.Config;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'authplane-lineage-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    config = { client: 'better-sqlite3', connection: { filename: join(dir, 'db.sqlite') }, useNullAsDefault: true };
  } else {
    if (!(await requirePostgres(t))) return undefined;
    config = { client: 'pg', connection: await freshPostgresDatabase(t) };
  }
  const db = knexFactory(config);
  t.after(() => db.destroy());
  await tokenIssuances0001.up(db);
  await issuanceLineage0002.up(db);
  return db;
}

function issuance(jti: string, extra: { grant_ref?: string; parent_jti?: string; expires_at?: number }) {
  return {
    jti,
    subject: 'user-1',
    client_id: 'client-1',
    audience: '[]',
    scope: '',
    grant_type: 'test',
    issued_at: NOW - 1000,
    expires_at: extra.expires_at ?? NOW + 60_000,
    revoked_at: null,
    parent_jti: extra.parent_jti ?? null,
    cnf_jkt: null,
    grant_ref: extra.grant_ref ?? null,
  };
}

const denylisted = async (db: Knex) => (await db('token_denylist').select('jti').orderBy('jti')).map((r: { jti: string }) => r.jti);

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`a lineage larger than one batch is revoked whole, batch after batch, and the count says how many (${kind})`, async (t) => {
    const db = await database(t, kind);
    if (!db) return;
    const rows = Array.from({ length: 7 }, (_, i) => issuance(`root-${i}`, { grant_ref: 'family:a' }));
    rows.push(issuance('child-of-0', { parent_jti: 'root-0' }), issuance('unrelated', { grant_ref: 'family:b' }));
    await db('token_issuances').insert(rows);
    assert.equal(await revokeLineage(db, { grantRef: 'family:a' }, 'test', NOW, 3), 8);
    assert.deepEqual(await denylisted(db), [...rows.map((r) => r.jti).filter((j) => j !== 'unrelated')].sort());
    const marked = await db('token_issuances').whereNotNull('revoked_at').count({ n: '*' });
    assert.equal(Number(marked[0]!.n), 8, 'the issuance rows say revoked too');
    assert.equal(await revokeLineage(db, { grantRef: 'family:a' }, 'test', NOW, 3), 0, 'nothing is revoked twice');
  });

  test(`the cascade walks through expired and revoked tokens, denylists only live ones, and stops at the depth bound (${kind})`, async (t) => {
    const db = await database(t, kind);
    if (!db) return;
    // g0 (the root's child) … a chain one longer than the bound; g1 expired, g2 already revoked on its own.
    const chain = Array.from({ length: LINEAGE_MAX_DEPTH + 1 }, (_, i) =>
      issuance(`g${String(i).padStart(2, '0')}`, { parent_jti: i === 0 ? 'root' : `g${String(i - 1).padStart(2, '0')}`, expires_at: i === 1 ? NOW - 1 : undefined }),
    );
    await db('token_issuances').insert([issuance('root', {}), ...chain]);
    await db('token_denylist').insert({ jti: 'g02', expires_at: NOW + 60_000, revoked_at: NOW - 10, reason: 'earlier' });
    const revoked = await revokeLineage(db, { derivedFrom: 'root' }, 'test', NOW);
    const expected = chain.slice(0, LINEAGE_MAX_DEPTH).map((r) => r.jti).filter((j) => j !== 'g01' && j !== 'g02');
    assert.equal(revoked, expected.length);
    assert.deepEqual(await denylisted(db), [...expected, 'g02'].sort(), 'not the root, not the expired one, not past the bound');
  });
}
