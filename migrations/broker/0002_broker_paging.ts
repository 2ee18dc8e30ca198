import type { Knex } from 'knex';

/**
 * Keyset paging (kernel/storage/keyset-page.ts) of `GET /admin/broker-grants` (last written first, by
 * (updated_at, id), unfiltered or under a user or a provider) and `GET /admin/broker-providers` (oldest first, by
 * (created_at, id)). The provider index replaces the one on provider_id alone, which it extends.
 */
export const broker0002 = {
  name: 'broker/0002_broker_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('broker_grants', (t) => {
      t.index(['updated_at', 'id']);
      t.index(['user_id', 'updated_at', 'id']);
      t.index(['provider_id', 'updated_at', 'id']);
      t.dropIndex(['provider_id']);
    });
    await knex.schema.alterTable('broker_providers', (t) => {
      t.index(['created_at', 'id']);
    });
  },
};
