import type { Knex } from 'knex';

/**
 * Issuance lineage (issue 19): `grant_ref` names the grant a token rests on, as an opaque string the plugin that
 * issued it chose (`consent:<id>`, `family:<id>`): the kernel only matches it. Both indexes serve cascading
 * revocation (TokenIssuer.revokeLineage): the tokens resting on a grant, then, through `parent_jti`, every token
 * exchanged from them.
 */
export const issuanceLineage0002 = {
  name: 'kernel/0002_issuance_lineage',
  async up(knex: Knex) {
    await knex.schema.alterTable('token_issuances', (t) => {
      t.string('grant_ref', 128).nullable();
      t.index(['grant_ref']);
      t.index(['parent_jti']);
    });
  },
};
