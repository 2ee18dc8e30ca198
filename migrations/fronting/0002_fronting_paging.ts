import type { Knex } from 'knex';

/**
 * Keyset paging of `GET /admin/fronting` (oldest first, by (created_at, id): kernel/storage/keyset-page.ts),
 * unfiltered or from a source or to a target. The target index replaces the one on target_resource_id alone, which
 * it extends (the deletion guard still finds links by target).
 */
export const frontingLinks0002 = {
  name: 'fronting/0002_fronting_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('fronting_links', (t) => {
      t.index(['created_at', 'id']);
      t.index(['source_resource_id', 'created_at', 'id']);
      t.index(['target_resource_id', 'created_at', 'id']);
      t.dropIndex(['target_resource_id']);
    });
  },
};
