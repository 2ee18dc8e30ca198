import type { Knex } from 'knex';

/**
 * One row per issued access token (every grant), written through the group-commit writer before the response is
 * sent, and the denylist of revoked `jti`s kept until the token would have expired anyway.
 */
export const tokenIssuances0001 = {
  name: 'kernel/0001_token_issuances',
  async up(knex: Knex) {
    await knex.schema.createTable('token_issuances', (t) => {
      t.string('jti', 64).primary();
      t.string('subject', 512).notNullable();
      t.string('client_id', 512).notNullable();
      t.text('audience').notNullable();
      t.text('scope').notNullable();
      t.string('grant_type', 128).notNullable();
      t.bigInteger('issued_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('revoked_at').nullable();
      t.string('parent_jti', 64).nullable();
      t.string('cnf_jkt', 128).nullable();
      t.index(['subject', 'issued_at']);
      t.index(['client_id', 'issued_at']);
      t.index(['issued_at']);
      t.index(['expires_at']);
    });
    await knex.schema.createTable('token_denylist', (t) => {
      t.string('jti', 64).primary();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('revoked_at').notNullable();
      t.string('reason', 64).notNullable();
      t.index(['expires_at']);
    });
  },
};
