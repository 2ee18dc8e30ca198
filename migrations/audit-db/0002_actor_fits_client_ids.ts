import type { Knex } from 'knex';

/**
 * `actor_id` and `user_id` hold client ids too (a client revoking a token is the actor), and a client id is up to
 * 512 characters (an https URL of a CIMD client, `clients.client_id`). At 255 one such event failed its whole batch
 * on PostgreSQL. Widening a varchar is a catalog change there (no table rewrite, the indexes stay valid). SQLite
 * never enforces a declared length (the column has TEXT affinity), so there is nothing to change, and rebuilding a
 * large audit table there to restate it would only make the upgrade slow.
 */
export const auditEvents0002 = {
  name: 'audit-db/0002_actor_fits_client_ids',
  async up(knex: Knex) {
    if (knex.client.dialect !== 'postgresql') return;
    await knex.raw('alter table audit_events alter column actor_id type varchar(512), alter column user_id type varchar(512)');
  },
};
