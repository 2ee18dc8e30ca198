import type { Knex } from 'knex';

/**
 * Used assertion jtis keyed `<exp>:<digest>` instead of `<digest>` (the digest is unchanged: base64url SHA-256 of
 * "<issuer>\n<jti>"). A digest alone is a random key: every insert landed on its own page of the primary key's index,
 * one page written per assertion; led by the assertion's `exp` in seconds (ten digits until 2286, so text order is
 * time order), new keys land next to each other, as the DPoP replay store's do (migrations/dpop/0001). Everything in
 * the key comes from the signed assertion, so a replay computes the same key; only the signer can mint the same jti
 * with another `exp`. The purge then finds expired rows through the key, and the `expires_at` index that
 * 0011_purge_indexes added for it would only cost every insert: dropped.
 *
 * Existing rows get the new key from their own `expires_at` (the `exp` they were stored with), so an assertion used
 * before the upgrade is still refused after it. A server of an earlier build writing this table at the same time
 * (replicas not yet upgraded) would write keys the upgraded ones do not look for: upgrade every replica together.
 */
export const assertionJtiKeysByExpiry0012 = {
  name: 'trusted-issuers/0012_assertion_jti_keys_by_expiry',
  async up(knex: Knex) {
    if (knex.client.dialect === 'postgresql') {
      await knex.raw(`update assertion_jtis set id = (expires_at / 1000)::text || ':' || id where position(':' in id) = 0`);
    } else {
      await knex.raw(`update assertion_jtis set id = cast(cast(expires_at / 1000 as integer) as text) || ':' || id where instr(id, ':') = 0`);
    }
    await knex.schema.alterTable('assertion_jtis', (t) => {
      t.dropIndex(['expires_at'], 'assertion_jtis_expires_at_index');
    });
  },
};
