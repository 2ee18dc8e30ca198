import type { Knex } from 'knex';

/**
 * Cross-App Access policies (which clients may get which scopes for which resources on an IdP's ID-JAGs) and subject
 * mappings (an IdP's `sub` → the local subject). List columns are JSON; an empty list means no restriction. No
 * foreign key to `trusted_issuers`: each plugin keeps its own tables; a policy naming a deleted issuer matches nothing.
 */
export const xaa0001 = {
  name: 'jwt-bearer/0001_xaa',
  async up(knex: Knex) {
    await knex.schema.createTable('xaa_policies', (t) => {
      t.string('id', 36).primary();
      t.string('idp_id', 36).notNullable().index();
      t.text('client_ids').notNullable();
      t.text('scopes').notNullable();
      t.text('resources').notNullable();
      t.boolean('enabled').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('xaa_subject_mappings', (t) => {
      t.string('id', 36).primary();
      t.string('idp_id', 36).notNullable();
      t.string('idp_subject', 1000).notNullable();
      t.string('subject', 1000).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['idp_id', 'idp_subject']);
    });
  },
};
