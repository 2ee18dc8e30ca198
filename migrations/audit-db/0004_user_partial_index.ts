import type { Knex } from 'knex';

/**
 * Most audit events under load have no user (a client_credentials token, a client's revocation): their `user_id`
 * is NULL, and each still cost an entry in the `(user_id, time, id)` index. The user filter of `GET /admin/audit`
 * is an equality, which implies NOT NULL, so a partial index over the events that name a user serves it on SQLite
 * and PostgreSQL alike (test/storage/partial-indexes.test.ts) at one B-tree insert less per event without one.
 */
export const auditUserPartialIndex0004 = {
  name: 'audit-db/0004_user_partial_index',
  async up(knex: Knex) {
    await knex.schema.alterTable('audit_events', (t) => {
      t.dropIndex(['user_id', 'time', 'id']);
      t.index(['user_id', 'time', 'id'], 'audit_events_user_id_time_id_index', { predicate: knex.whereNotNull('user_id') });
    });
  },
};
