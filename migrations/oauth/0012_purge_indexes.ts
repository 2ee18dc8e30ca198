import type { Knex } from 'knex';

/**
 * The `sessions` purge deletes revoked sessions (`revoked_at is not null`) as one of its two deletions; without an
 * index each batch scans the table. Partial: the index holds only revoked sessions, so logins and refreshes, which
 * write live sessions, never pay for it. SQLite and PostgreSQL both use it for a query that says `is not null`.
 */
export const oauthPurgeIndexes0012 = {
  name: 'oauth/0012_purge_indexes',
  async up(knex: Knex) {
    await knex.raw('create index sessions_revoked_at_index on sessions (revoked_at) where revoked_at is not null');
  },
};
