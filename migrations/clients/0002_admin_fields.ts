import type { Knex } from 'knex';

export const clients0002 = {
  name: 'clients/0002_admin_fields',
  async up(knex: Knex) {
    await knex.schema.alterTable('clients', (t) => {
      // JSON array of the field names an administrator changed (PATCH); a metadata document refresh keeps them.
      t.text('admin_fields').notNullable().defaultTo('[]');
    });
  },
};
