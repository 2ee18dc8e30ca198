import type { Knex } from 'knex';

/**
 * `refresh_tokens.consumed_scope_key` records which request spent a refresh token (its `scope` parameter and DPoP
 * key thumbprint, for the reuse grace window). The scope comes from the client and is bounded only by the request
 * body, so at varchar(64) a refresh with a scope of some 20 characters or more plus a DPoP key failed on PostgreSQL
 * with a 500. Text holds whatever the request held. SQLite never enforces a declared length: nothing to change.
 * (Numbered 0003: 0002 is left to the login-failures change of the same release.)
 */
export const oauthRefreshScopeKey0003 = {
  name: 'oauth/0003_refresh_scope_key_text',
  async up(knex: Knex) {
    if (knex.client.dialect !== 'postgresql') return;
    await knex.raw('alter table refresh_tokens alter column consumed_scope_key type text');
  },
};
