import type { Knex } from 'knex';

/**
 * The catalog's incremental refresh reads the rows changed since its watermark (`updated_at >= ?`) on every
 * interval and shared lookup miss: an index keeps that to the changed rows instead of a walk of the table.
 */
export const resources0002 = {
  name: 'resources/0002_updated_at_index',
  async up(knex: Knex) {
    await knex.schema.alterTable('resources', (t) => {
      t.index(['updated_at'], 'resources_updated_at_index');
    });
  },
};
