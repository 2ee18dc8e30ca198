import type { Knex } from 'knex';

/**
 * Keyset paging of `GET /admin/audit` (kernel/storage/keyset-page.ts) orders by (time, id): each index ends in `id`
 * so a page under any one filter is a range scan of one index, ties at the same millisecond included. Each
 * replaces the index it extends (same write cost per event); `(time, id)` still serves the purge's `time <` range.
 */
export const auditEvents0003 = {
  name: 'audit-db/0003_audit_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('audit_events', (t) => {
      for (const lead of [[], ['user_id'], ['client_id'], ['action']]) {
        t.dropIndex([...lead, 'time']);
        t.index([...lead, 'time', 'id']);
      }
    });
  },
};
