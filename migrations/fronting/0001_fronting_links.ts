import type { Knex } from 'knex';

/**
 * Fronting links: a gateway in front of the source resource may exchange a token for the source for one for the
 * target. `scope_map` is JSON: source scope → the target scopes it stands for. No foreign keys to `resources`: the
 * resources plugin guards its deletes through its dependents seam, so each plugin keeps its own tables.
 */
export const frontingLinks0001 = {
  name: 'fronting/0001_fronting_links',
  async up(knex: Knex) {
    await knex.schema.createTable('fronting_links', (t) => {
      t.string('id', 36).primary();
      t.string('source_resource_id', 36).notNullable();
      t.string('target_resource_id', 36).notNullable();
      t.text('scope_map').notNullable();
      t.bigInteger('created_at').notNullable();
      t.string('created_by', 64).notNullable();
      t.unique(['source_resource_id', 'target_resource_id']);
      // The deletion guard and the list filter look links up by target too.
      t.index(['target_resource_id']);
    });
  },
};
