import type { Knex } from 'knex';

/**
 * The `oidc_login_attempts` purge deletes attempts that came back (`consumed_at is not null`) as one of its two
 * deletions; this partial index holds just those rows, so a batch reads only what it deletes.
 */
export const oidcFederationPurgeIndexes0011 = {
  name: 'oidc-federation/0011_purge_indexes',
  async up(knex: Knex) {
    await knex.raw('create index oidc_login_attempts_consumed_at_index on oidc_login_attempts (consumed_at) where consumed_at is not null');
  },
};
