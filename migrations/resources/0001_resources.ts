import type { Knex } from 'knex';

export const resources0001 = {
  name: 'resources/0001_resources',
  async up(knex: Knex) {
    await knex.schema.createTable('resources', (t) => {
      t.string('id', 36).primary();
      t.string('slug', 63).notNullable().unique();
      t.string('display_name', 200).notNullable();
      // As the operator wrote it: the `aud` of tokens and the `resource` of its metadata.
      t.string('uri', 2048).notNullable();
      // The normalized form lookups compare (scheme and host lower-cased, default port and one trailing slash
      // dropped), unique so `…/mcp` and `…/MCP.example.com/mcp/` cannot be two resources.
      t.string('uri_key', 2048).notNullable().unique();
      t.string('backend_kind', 16).notNullable();
      t.string('broker_provider_id', 255).nullable();
      t.text('scopes').notNullable();
      t.text('policy').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
};
