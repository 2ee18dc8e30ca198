import type { Knex } from 'knex';

/**
 * The DPoP replay store (RFC 9449 §11.1): one row per accepted proof, keyed by a digest of its key thumbprint and
 * `jti`, kept until the proof's `iat` window closes. The primary key makes "seen before" one INSERT that fails,
 * which holds across replicas sharing the database.
 */
export const dpopReplay0001 = {
  name: 'dpop/0001_dpop_replay',
  async up(knex: Knex) {
    await knex.schema.createTable('dpop_proof_jtis', (t) => {
      // SHA-256 (hex) of `<jkt>:<jti>`: fixed length whatever the client sends as jti.
      t.string('id', 64).primary();
      t.bigInteger('expires_at').notNullable();
      t.index(['expires_at']);
    });
  },
};
