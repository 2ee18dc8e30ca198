import type { Knex } from 'knex';

export const clients0001 = {
  name: 'clients/0001_clients',
  async up(knex: Knex) {
    await knex.schema.createTable('clients', (t) => {
      // Long enough for the https URLs CIMD uses as client ids.
      t.string('client_id', 512).primary();
      t.string('client_name', 255).notNullable();
      t.text('redirect_uris').notNullable();
      t.text('grant_types').notNullable();
      t.text('response_types').notNullable();
      t.string('token_endpoint_auth_method', 64).notNullable();
      t.string('secret_digest', 64).nullable();
      t.string('status', 16).notNullable();
      t.string('registration_source', 16).notNullable();
      t.text('scope').notNullable();
      t.string('application_type', 16).notNullable();
      t.boolean('agent').notNullable().defaultTo(false);
      t.text('agent_description').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('last_used_at').nullable();
      t.text('metadata').notNullable();
      // DCR hygiene removes clients of one source unused since a cutoff.
      t.index(['registration_source', 'last_used_at']);
      t.index(['status']);
    });
  },
};
