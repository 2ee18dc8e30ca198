import type { Knex } from 'knex';

/**
 * `grant_ref` and `parent_jti` are set on the tokens of a user's grant and on exchanged tokens; every
 * client_credentials, jwt-bearer and first-hand token leaves them NULL, and each of those rows still cost an entry
 * in both indexes (two more B-tree inserts per token, for nothing a query asks). Revocation only ever looks them up
 * by equality (`grant_ref = ?`, `parent_jti = l.jti`), which implies NOT NULL, so partial indexes over the non-NULL
 * rows serve it the same on SQLite and PostgreSQL (test/storage/partial-indexes.test.ts reads both planners'
 * choices). Each index is rebuilt from the rows it keeps: on a large table the migration takes a while
 * (docs/operations.md, upgrades).
 */
export const lineagePartialIndexes0004 = {
  name: 'kernel/0004_lineage_partial_indexes',
  async up(knex: Knex) {
    await knex.schema.alterTable('token_issuances', (t) => {
      for (const column of ['grant_ref', 'parent_jti']) {
        t.dropIndex([column]);
        t.index([column], `token_issuances_${column}_index`, { predicate: knex.whereNotNull(column) });
      }
    });
  },
};
