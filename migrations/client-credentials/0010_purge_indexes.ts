import type { Knex } from 'knex';

/**
 * The `machine_tokens` purge deletes `grant_type = 'client_credentials' and expires_at < now` from the kernel's
 * issuance table. With only the `expires_at` index a batch walks every expired user token (kept for
 * tokens.issuanceRetentionDays) before it finds machine tokens; this index starts each batch at the first one.
 * Numbered with a gap on purpose (migration names only need to be unique; the list order is the order applied).
 */
export const clientCredentialsPurgeIndexes0010 = {
  name: 'client-credentials/0010_purge_indexes',
  async up(knex: Knex) {
    await knex.schema.alterTable('token_issuances', (t) => {
      t.index(['grant_type', 'expires_at'], 'token_issuances_grant_type_expires_at_index');
    });
  },
};
