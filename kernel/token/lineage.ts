import type { Knex } from 'knex';
import type { LineageRoot } from '../contracts.js';

/**
 * How deep a cascade follows `parent_jti`. A token exchanged from a token exchanged from … ten times over is no
 * chain a deployment means to build; the bound keeps a revocation from walking a runaway one for ever.
 */
export const LINEAGE_MAX_DEPTH = 16;

/** Tokens denylisted per round trip: each round is one query for the next batch and one write of it. */
export const LINEAGE_BATCH = 500;

/**
 * The live (unexpired, not yet denylisted) tokens of one lineage, at most one batch of them. The recursion walks
 * expired and revoked tokens too: a token already revoked on its own (revokeJti) may still have live children.
 * WITH RECURSIVE and UNION (which drops a row met twice) read the same on SQLite and PostgreSQL.
 */
function liveLineageSql(root: LineageRoot): { sql: string; bindings: (string | number)[] } {
  const seed = 'grantRef' in root
    ? { where: 'grant_ref = ?', value: root.grantRef }
    : { where: 'parent_jti = ?', value: root.derivedFrom };
  return {
    sql: `with recursive lineage (jti, expires_at, depth) as (
        select jti, expires_at, 1 from token_issuances where ${seed.where}
        union
        select t.jti, t.expires_at, l.depth + 1 from token_issuances t join lineage l on t.parent_jti = l.jti
         where l.depth < ?
      )
      select distinct l.jti, l.expires_at from lineage l
       where l.expires_at > ? and not exists (select 1 from token_denylist d where d.jti = l.jti)
       limit ?`,
    bindings: [seed.value, LINEAGE_MAX_DEPTH],
  };
}

/**
 * Denylists a lineage batch by batch until none of it is left live; returns how many tokens it denylisted. Each
 * batch is denylisted before the next is read, so the next query no longer returns it and the loop ends.
 */
export async function revokeLineage(
  db: Knex,
  root: LineageRoot,
  reason: string,
  now: number,
  batch = LINEAGE_BATCH,
): Promise<number> {
  const { sql, bindings } = liveLineageSql(root);
  let revoked = 0;
  for (;;) {
    const result: unknown = await db.raw(sql, [...bindings, now, batch]);
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { jti: string; expires_at: string | number }[];
    if (rows.length === 0) return revoked;
    await db.transaction(async (trx) => {
      await trx('token_denylist')
        .insert(rows.map((r) => ({ jti: r.jti, expires_at: Number(r.expires_at), revoked_at: now, reason })))
        .onConflict('jti')
        .ignore();
      await trx('token_issuances').whereIn('jti', rows.map((r) => r.jti)).whereNull('revoked_at').update({ revoked_at: now });
    });
    revoked += rows.length;
    if (rows.length < batch) return revoked;
  }
}
