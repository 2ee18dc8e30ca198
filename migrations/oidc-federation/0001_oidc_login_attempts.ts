import type { Knex } from 'knex';

/**
 * A login sent upstream and not yet back: what the callback must check the answer against (the PKCE verifier and
 * the nonce), keyed by the SHA-256 of the interaction's state. Consumed once; expired rows are purged.
 */
export const oidcLoginAttempts0001 = {
  name: 'oidc-federation/0001_oidc_login_attempts',
  async up(knex: Knex) {
    await knex.schema.createTable('oidc_login_attempts', (t) => {
      t.string('state_hash', 64).primary();
      t.string('provider', 32).notNullable();
      t.string('nonce', 128).notNullable();
      t.string('code_verifier', 128).notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('consumed_at').nullable();
      t.index(['expires_at']);
    });
  },
};
