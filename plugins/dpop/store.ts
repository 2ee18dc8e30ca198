/** Queries of the replay store (`dpop_proof_jtis`). Timestamps are integer ms. */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { RuntimeApi } from 'authplane';

const TABLE = 'dpop_proof_jtis';

export class ProofReplayStore {
  constructor(private readonly runtime: () => RuntimeApi) {}

  /**
   * Records a proof as used until `expiresAt`; false when it was already recorded. One INSERT against the primary
   * key — never read-then-write — so of two replicas seeing the same proof at once exactly one succeeds.
   * Scoped by key: another key's proof with the same jti is a different proof.
   */
  async remember(jkt: string, jti: string, expiresAt: number): Promise<boolean> {
    const runtime = this.runtime();
    const id = createHash('sha256').update(`${jkt}:${jti}`).digest('hex');
    try {
      await runtime.db(TABLE).insert({ id, expires_at: expiresAt });
      return true;
    } catch (error) {
      if (runtime.dialect.isUniqueViolation(error)) return false;
      throw error;
    }
  }
}

/** Rows whose proofs are past their `iat` window: such a proof is refused on `iat` already. */
export function purgeExpiredProofs(db: Knex, now: number): Promise<number> {
  return db(TABLE).where('expires_at', '<', now).delete();
}
