import type { Knex } from 'knex';

/**
 * Access tokens issued before issuance lineage (kernel/0002) rest on nothing: this names, on each such issuance
 * row, the refresh family that handed it out (refresh_tokens.access_jti), so revoking the family still revokes
 * them (plugins/oauth/lineage.ts). Tokens of clients that may not refresh expire within an access token lifetime.
 */
export const issuanceFamilyRefs0002 = {
  name: 'oauth/0002_issuance_family_refs',
  async up(knex: Knex) {
    await knex.raw(
      `update token_issuances
          set grant_ref = (select 'family:' || r.family_id from refresh_tokens r where r.access_jti = token_issuances.jti limit 1)
        where grant_ref is null
          and jti in (select access_jti from refresh_tokens where access_jti is not null)`,
    );
  },
};
