import type { Knex } from 'knex';

/**
 * Upstream identities linked to users: one row per (identity provider, its `sub`), so a federated login finds its
 * user by who the upstream says signed in — never by email. Linked at a just-in-time creation or by an
 * administrator (`authserver admin user link`).
 */
export const users0002 = {
  name: 'users/0002_user_identities',
  async up(knex: Knex) {
    await knex.schema.createTable('user_identities', (t) => {
      t.string('provider', 32).notNullable();
      // OpenID Connect Core §2: `sub` is at most 255 ASCII characters.
      t.string('subject', 255).notNullable();
      t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
      t.bigInteger('created_at').notNullable();
      t.primary(['provider', 'subject']);
      t.index(['user_id']);
    });
  },
};
