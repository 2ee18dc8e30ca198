import type { Knex } from 'knex';

/**
 * Keyset paging of `GET /admin/users/{id}/grants` (kernel/storage/keyset-page.ts): a user's consents, last changed
 * first by (updated_at, id), then the user's refresh families, oldest first by (created_at, id). Each index leads
 * with the user, so a page is a range scan however many users there are; the families' one replaces the index on
 * user_id alone, which it extends (force-logout still finds a user's families through it).
 */
export const grantsPaging0003 = {
  name: 'oauth/0003_grants_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('consents', (t) => {
      t.index(['user_id', 'updated_at', 'id']);
    });
    await knex.schema.alterTable('refresh_families', (t) => {
      t.index(['user_id', 'created_at', 'id']);
      t.dropIndex(['user_id']);
    });
  },
};
