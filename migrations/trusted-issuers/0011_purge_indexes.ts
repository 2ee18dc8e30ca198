import type { Knex } from 'knex';

/**
 * The `assertion_jti` purge deletes by `expires_at`. The table's key is a digest (random order), so unlike the DPoP
 * replay store, whose key starts with the proof's time, nothing else orders its rows by age: without this index each
 * batch scans the table.
 */
export const trustedIssuersPurgeIndexes0011 = {
  name: 'trusted-issuers/0011_purge_indexes',
  async up(knex: Knex) {
    await knex.schema.alterTable('assertion_jtis', (t) => {
      t.index(['expires_at'], 'assertion_jtis_expires_at_index');
    });
  },
};
