import type { Knex } from 'knex';

export const users0001 = {
  name: 'users/0001_users',
  async up(knex: Knex) {
    await knex.schema.createTable('users', (t) => {
      t.string('id', 36).primary();
      // Stored lower-cased, so the unique index is case-insensitive on both databases.
      t.string('email', 320).notNullable().unique();
      t.string('name', 200).notNullable();
      t.string('role', 16).notNullable();
      t.string('status', 16).notNullable();
      t.string('provider', 32).notNullable();
      // `scrypt$N$r$p$salt$hash`; null for users of an external identity provider.
      t.string('password_hash', 255).nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('last_login_at').nullable();
    });
  },
};
