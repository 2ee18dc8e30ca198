import type { Knex } from 'knex';

/** Sessions, consents, authorization codes, refresh tokens and their families, login failure counters. */
export const oauthCore0001 = {
  name: 'oauth/0001_oauth_core',
  async up(knex: Knex) {
    await knex.schema.createTable('sessions', (t) => {
      t.string('id', 64).primary();
      t.string('user_id', 36).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('revoked_at').nullable();
      t.index(['user_id']);
      t.index(['expires_at']);
    });
    await knex.schema.createTable('consents', (t) => {
      t.string('id', 36).primary();
      t.string('user_id', 36).notNullable();
      t.string('client_id', 512).notNullable();
      t.string('resource_id', 36).notNullable();
      t.text('scopes').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['user_id', 'client_id', 'resource_id']);
    });
    await knex.schema.createTable('authorization_codes', (t) => {
      t.string('code_hash', 64).primary();
      t.string('client_id', 512).notNullable();
      t.string('user_id', 36).notNullable();
      t.string('resource_id', 36).notNullable();
      t.text('redirect_uri').notNullable();
      t.string('code_challenge', 128).notNullable();
      t.text('scope').notNullable();
      t.bigInteger('auth_time').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('consumed_at').nullable();
      t.string('family_id', 36).nullable();
      t.string('access_jti', 64).nullable();
      t.text('extra').nullable();
      t.index(['expires_at']);
    });
    await knex.schema.createTable('refresh_families', (t) => {
      t.string('id', 36).primary();
      t.string('client_id', 512).notNullable();
      t.string('user_id', 36).notNullable();
      t.string('resource_id', 36).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('revoked_at').nullable();
      t.string('revoked_reason', 64).nullable();
      t.index(['user_id']);
      t.index(['client_id', 'user_id', 'resource_id']);
      t.index(['expires_at']);
    });
    await knex.schema.createTable('refresh_tokens', (t) => {
      t.string('id', 36).primary();
      t.string('token_hash', 64).notNullable().unique();
      t.string('family_id', 36).notNullable();
      t.string('client_id', 512).notNullable();
      t.string('user_id', 36).notNullable();
      t.string('resource_id', 36).notNullable();
      t.text('scope').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('consumed_at').nullable();
      t.string('consumed_scope_key', 64).nullable();
      t.string('access_jti', 64).nullable();
      t.string('dpop_jkt', 128).nullable();
      t.index(['family_id']);
      t.index(['expires_at']);
    });
    await knex.schema.createTable('login_failures', (t) => {
      t.string('key', 128).primary();
      t.integer('failures').notNullable();
      t.bigInteger('window_start').notNullable();
      t.bigInteger('locked_until').nullable();
      t.index(['window_start']);
    });
  },
};
