import type { Knex } from 'knex';

/** Keyset paging of `GET /admin/resources` (oldest first, by (created_at, id): kernel/storage/keyset-page.ts). */
export const resources0003 = {
  name: 'resources/0003_resources_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('resources', (t) => {
      t.index(['created_at', 'id']);
    });
  },
};
