import type { Knex } from 'knex';

/**
 * Issue 25: `GET /admin/issuances?resource=` read every row's JSON `audience` (2.2 s at 5M rows). `resource` holds
 * the token's audience when it has exactly one that fits the column (every built-in grant issues one), written with
 * the row by the issuer; the admin filter is then a range scan of (resource, issued_at, jti), and only the rare rows
 * left NULL (several audiences) are matched on their JSON, through a partial index holding only them. Existing rows
 * are backfilled here.
 *
 * The list indexes gain `jti` as their last column, the tie-break of keyset paging (kernel/storage/keyset-page.ts),
 * each replacing the one it extends.
 */
export const issuanceResource0003 = {
  name: 'kernel/0003_issuance_resource',
  async up(knex: Knex) {
    await knex.schema.alterTable('token_issuances', (t) => {
      t.string('resource', 2048).nullable();
    });
    if (knex.client.dialect === 'postgresql') {
      await knex.raw(`
        update token_issuances set resource = (audience::jsonb) ->> 0
        where audience like '[%' and case when jsonb_typeof(audience::jsonb) = 'array' and jsonb_array_length(audience::jsonb) = 1
          then octet_length((audience::jsonb) ->> 0) <= 2048 else false end`);
    } else {
      await knex.raw(`
        update token_issuances set resource = json_extract(audience, '$[0]')
        where json_valid(audience) and json_type(audience) = 'array' and json_array_length(audience) = 1
          and json_type(audience, '$[0]') = 'text' and length(cast(json_extract(audience, '$[0]') as blob)) <= 2048`);
    }
    await knex.schema.alterTable('token_issuances', (t) => {
      t.index(['resource', 'issued_at', 'jti']);
      // The rows left NULL, in page order: a partial index, so the tokens that have a `resource` cost it nothing.
      t.index(['issued_at', 'jti'], 'token_issuances_unresolved_audience_index', { predicate: knex.whereNull('resource') });
      for (const lead of [[], ['subject'], ['client_id']]) {
        t.dropIndex([...lead, 'issued_at']);
        t.index([...lead, 'issued_at', 'jti']);
      }
    });
  },
};
