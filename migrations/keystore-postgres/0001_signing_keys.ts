import type { Knex } from 'knex';

/**
 * Signing keys shared by every server on the database, each private key sealed with AES-256-GCM under a
 * key-encryption key (KEK) from the environment: a database dump alone does not give the keys away. On PostgreSQL a
 * statement-level trigger announces every change on the `authplane` channel, topic `keys`, so each replica reloads
 * its signer and JWKS within a second, whoever wrote the row (a replica, the CLI, an operator's SQL).
 */
export const signingKeys0001 = {
  name: 'keystore-postgres/0001_signing_keys',
  async up(knex: Knex) {
    await knex.schema.createTable('signing_keys', (t) => {
      t.string('kid', 128).primary();
      t.string('alg', 16).notNullable();
      /** Which KEK sealed the key: a digest of the KEK, never the KEK. */
      t.string('kek_id', 32).notNullable();
      /** base64url(nonce ‖ ciphertext ‖ tag) of the private JWK's JSON, the kid as additional data. */
      t.text('sealed_key').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('retired_at').nullable();
    });
    if (knex.client.dialect !== 'postgresql') return;
    await knex.raw(`
      create or replace function authplane_signing_keys_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('authplane', '{"topic":"keys"}');
        return null;
      end $$`);
    await knex.raw(`
      create trigger signing_keys_changed after insert or update or delete on signing_keys
      for each statement execute function authplane_signing_keys_changed()`);
  },
};
