import type { Knex } from 'knex';

/**
 * Trusted issuers (enterprise IdPs asserting users, platforms asserting workloads), the rules that map a workload's
 * token to a client, and the single-use store of assertion `jti`s. `assertion_jtis` has the same shape as the DPoP
 * replay store: a primary key makes "seen before" one INSERT that fails, across replicas sharing the database.
 */
export const trustedIssuers0001 = {
  name: 'trusted-issuers/0001_trusted_issuers',
  async up(knex: Knex) {
    await knex.schema.createTable('trusted_issuers', (t) => {
      t.string('id', 36).primary();
      t.string('name', 64).notNullable().unique();
      // Compared exactly, trailing slash included (RFC 8414 §3.3, OIDC Discovery §4.3).
      t.string('issuer', 1000).notNullable().unique();
      t.string('jwks_uri', 2000).nullable();
      t.string('audience', 1000).nullable();
      t.boolean('enabled').notNullable();
      t.boolean('workload').notNullable();
      t.string('subject_mode', 16).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('workload_rules', (t) => {
      t.string('id', 36).primary();
      t.string('issuer_id', 36).notNullable().index();
      t.string('subject', 1000).notNullable();
      t.text('claims').notNullable();
      t.string('client_id', 512).notNullable();
      t.bigInteger('created_at').notNullable();
    });
    await knex.schema.createTable('assertion_jtis', (t) => {
      t.string('id', 80).primary();
      t.bigInteger('expires_at').notNullable();
    });
  },
};
