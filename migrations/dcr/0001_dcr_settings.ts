import type { Knex } from 'knex';

/** Run-time settings of the dcr plugin (the DCR mode switched through the admin API or CLI), one row per key. */
export const dcrSettings0001 = {
  name: 'dcr/0001_dcr_settings',
  async up(knex: Knex) {
    await knex.schema.createTable('dcr_settings', (t) => {
      t.string('key', 64).primary();
      t.text('value').notNullable();
      t.string('updated_by', 64).notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
};
