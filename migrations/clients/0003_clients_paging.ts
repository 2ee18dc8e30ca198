import type { Knex } from 'knex';

/**
 * Keyset paging of `GET /admin/clients` (newest first, kernel/storage/keyset-page.ts): a page, unfiltered or by
 * status or registration source, is a range scan of an index ending in (created_at, client_id).
 */
export const clients0003 = {
  name: 'clients/0003_clients_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('clients', (t) => {
      t.index(['created_at', 'client_id']);
      t.index(['status', 'created_at', 'client_id']);
      t.index(['registration_source', 'created_at', 'client_id']);
    });
  },
};
