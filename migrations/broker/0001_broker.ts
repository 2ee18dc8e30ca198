import type { Knex } from 'knex';

/**
 * Upstream providers and the users' grants with them. `config` is JSON (no secret in it: the client secret is named
 * by an environment variable). A grant's tokens are one AES-GCM (or Vault Transit) ciphertext under `key_id`;
 * `version` goes up on every write, so a refresh that lost a race sees it. Times are integer ms.
 */
export const broker0001 = {
  name: 'broker/0001_broker',
  async up(knex: Knex) {
    await knex.schema.createTable('broker_providers', (t) => {
      t.string('id', 36).primary();
      t.string('slug', 63).notNullable().unique();
      t.string('display_name', 200).notNullable();
      t.string('protocol', 32).notNullable();
      t.text('config').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('broker_grants', (t) => {
      t.string('id', 36).primary();
      t.string('user_id', 36).notNullable();
      t.string('provider_id', 36).notNullable();
      t.integer('version').notNullable();
      t.string('key_id', 64).notNullable();
      t.text('ciphertext').notNullable();
      // Not secret, kept in clear for the scope check and the admin list: what was granted upstream and until when.
      t.text('scopes').notNullable();
      t.bigInteger('access_expires_at').nullable();
      t.boolean('has_refresh_token').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['user_id', 'provider_id']);
      t.index(['provider_id']);
      // Re-encryption walks the rows not yet under the current key.
      t.index(['key_id']);
    });
  },
};
