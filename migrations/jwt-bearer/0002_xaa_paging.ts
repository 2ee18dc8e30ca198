import type { Knex } from 'knex';

/**
 * Keyset paging (kernel/storage/keyset-page.ts) of `GET /admin/xaa/policies` and `/admin/xaa/subject-mappings`:
 * oldest first by (created_at, id), unfiltered or under one trusted issuer. The policies' issuer index replaces the
 * one on idp_id alone, which it extends (the grant still reads an issuer's policies through it).
 */
export const xaa0002 = {
  name: 'jwt-bearer/0002_xaa_paging',
  async up(knex: Knex) {
    await knex.schema.alterTable('xaa_policies', (t) => {
      t.index(['created_at', 'id']);
      t.index(['idp_id', 'created_at', 'id']);
      t.dropIndex(['idp_id']);
    });
    await knex.schema.alterTable('xaa_subject_mappings', (t) => {
      t.index(['created_at', 'id']);
      t.index(['idp_id', 'created_at', 'id']);
    });
  },
};
