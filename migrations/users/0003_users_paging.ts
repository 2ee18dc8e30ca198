import type { Knex } from 'knex';

/**
 * Keyset paging (kernel/storage/keyset-page.ts) of `GET /admin/users` (oldest first, by (created_at, id)) and of a
 * user's identity links (by (created_at, provider, subject) under the user; it replaces the index on user_id alone,
 * which it extends, so the foreign key's cascade still finds the links by user).
 */
export const users0003 = {
  name: 'users/0003_users_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('users', (t) => {
      t.index(['created_at', 'id']);
    });
    await knex.schema.alterTable('user_identities', (t) => {
      t.index(['user_id', 'created_at', 'provider', 'subject']);
      t.dropIndex(['user_id']);
    });
  },
};
