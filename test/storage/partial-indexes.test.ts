/**
 * The lineage and audit-user indexes hold only the rows whose column is set (kernel/0004, audit-db/0004): a token
 * or event without one costs no entry. They are worth that only if the queries that need them still use them, so
 * this runs the real queries (revocation by grant and by parent token, the admin audit list filtered by user),
 * captures the SQL they send, and asks each planner for its plan: SQLite's query plan, and PostgreSQL's with
 * sequential scans discouraged (on empty tables it would otherwise scan, index or not; a partial index whose
 * predicate the query does not imply cannot be chosen at all; hash and merge joins too, so the lineage's children are
 * looked up row by row, as on a table of any size).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import type { AuthPlane } from 'authplane';
import { clients, oauth, resources, users } from 'authplane/plugins';
import { revokeLineage } from '../../kernel/token/lineage.js';
import { parseAuditQuery, queryAuditEvents } from '../../plugins/audit-db/query.js';
import { bootedOn } from '../helpers/booted-on.js';
import { requirePostgres } from '../helpers/postgres.js';

function boot(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<AuthPlane> {
  return bootedOn(t, storage, [clients(), resources(), users(), oauth()]);
}

/** The selects `work` sends (knex's `query` events), with their bindings. */
async function selectsOf(db: Knex, work: () => Promise<unknown>): Promise<{ sql: string; bindings: readonly unknown[] }[]> {
  const seen: { sql: string; bindings: readonly unknown[] }[] = [];
  const listener = (q: { sql: string; bindings?: readonly unknown[] }) => {
    if (/^\s*(with|select)\b/i.test(q.sql)) seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
  };
  db.on('query', listener);
  try {
    await work();
  } finally {
    db.off('query', listener);
  }
  return seen;
}

async function planText(server: AuthPlane, storage: 'sqlite' | 'postgres', query: { sql: string; bindings: readonly unknown[] }): Promise<string> {
  const bindings = query.bindings as readonly (string | number)[];
  if (storage === 'sqlite') {
    const rows = (await server.db.raw(`explain query plan ${query.sql}`, bindings)) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  }
  // knex reports PostgreSQL's statements with their native $n placeholders, numbered in binding order.
  const sql = query.sql.replace(/\$\d+/g, '?');
  return server.db.transaction(async (trx) => {
    // Join by looking each lineage row's children up (what a table of any size gets), not by hashing every row.
    for (const setting of ['enable_seqscan', 'enable_bitmapscan', 'enable_hashjoin', 'enable_mergejoin', 'enable_material']) await trx.raw(`set local ${setting} = off`);
    const result = (await trx.raw(`explain ${sql}`, bindings)) as { rows: { 'QUERY PLAN': string }[] };
    return result.rows.map((r) => r['QUERY PLAN']).join(' | ');
  });
}

const WANTED = {
  grant: 'token_issuances_grant_ref_index',
  parent: 'token_issuances_parent_jti_index',
  user: 'audit_events_user_id_time_id_index',
};

async function checkPlans(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<void> {
  const server = await boot(t, storage);
  const db = server.db;
  const now = Date.now();
  const byGrant = await selectsOf(db, () => revokeLineage(db, { grantRef: 'consent:x' }, 'test', now));
  const byParent = await selectsOf(db, () => revokeLineage(db, { derivedFrom: 'jti-x' }, 'test', now));
  const runtime = server.runtimeApi('audit-db');
  const byUser = await selectsOf(db, () => queryAuditEvents(runtime, parseAuditQuery({ user_id: 'user-1' }, now)));
  assert.equal(byGrant.length, 1, 'revocation by grant reads the lineage once');
  assert.equal(byParent.length, 1, 'revocation by parent token reads the lineage once');
  assert.equal(byUser.length, 1, 'the audit list reads one page');

  const grant = await planText(server, storage, byGrant[0]!);
  assert.ok(grant.includes(WANTED.grant), `the tokens of a grant come from ${WANTED.grant}: ${grant}`);
  assert.ok(grant.includes(WANTED.parent), `the tokens exchanged from them come from ${WANTED.parent}: ${grant}`);
  // Each lineage row's children are looked up in the index by its jti (not the whole index read and joined).
  const lookedUp = storage === 'sqlite' ? /token_issuances_parent_jti_index \(parent_jti=\?\)/ : /token_issuances_parent_jti_index on token_issuances t[^|]*\|\s*Index Cond: \(\(parent_jti\)::text = /;
  assert.match(grant, lookedUp);
  const parent = await planText(server, storage, byParent[0]!);
  assert.ok(parent.includes(WANTED.parent), `the tokens exchanged from a token come from ${WANTED.parent}: ${parent}`);
  const user = await planText(server, storage, byUser[0]!);
  assert.ok(user.includes(WANTED.user), `a user's audit events come from ${WANTED.user}: ${user}`);

  // The indexes are partial: a row without the column has no entry.
  const predicates = storage === 'sqlite'
    ? ((await db('sqlite_master').whereIn('name', Object.values(WANTED)).pluck('sql')) as string[])
    : ((await db('pg_indexes').whereIn('indexname', Object.values(WANTED)).pluck('indexdef')) as string[]);
  assert.equal(predicates.length, 3);
  for (const definition of predicates) assert.match(definition, /where\s+\(?[`"]?\w+[`"]?\s+is\s+not\s+null/i, definition);
}

test('on SQLite revocation by grant and by parent token, and the audit list by user, use the partial indexes', (t) => checkPlans(t, 'sqlite'));

test('on PostgreSQL revocation by grant and by parent token, and the audit list by user, can use the partial indexes', async (t) => {
  if (!(await requirePostgres(t))) return;
  await checkPlans(t, 'postgres');
});
