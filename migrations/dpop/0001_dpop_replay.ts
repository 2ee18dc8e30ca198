import type { Knex } from 'knex';

/**
 * The DPoP replay store (RFC 9449 §11.1): one row per accepted proof, kept until the proof's `iat` window closes.
 * The primary key makes "seen before" one INSERT that inserts nothing, which holds across replicas sharing the
 * database. The key is `<iat>:<base64url SHA-256 of "<jkt>:<jti>">`: everything in it comes from the signed proof,
 * so every replica computes the same key for the same proof, and the leading `iat` makes new keys land next to each
 * other in the index instead of at random pages (a random key costs SQLite about twice the work per insert).
 * `expires_at` has no index on purpose: every insert would pay for it, while the purge that reads it runs once a
 * minute over a table that purge keeps small.
 */
export const dpopReplay0001 = {
  name: 'dpop/0001_dpop_replay',
  async up(knex: Knex) {
    await knex.schema.createTable('dpop_proof_jtis', (t) => {
      t.string('id', 80).primary();
      t.bigInteger('expires_at').notNullable();
    });
  },
};
