/** Queries of the replay store (`dpop_proof_jtis`). Timestamps are integer ms. */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { SingleUseIds, type RuntimeApi } from 'authplane';

const TABLE = 'dpop_proof_jtis';

/**
 * Records each accepted proof until its `iat` window closes, through the kernel's SingleUseIds: single use is the
 * primary key (of two replicas seeing one proof at once exactly one wins), and proofs arriving in the same event-loop
 * turn share one statement (design §6, group commit).
 */
export class ProofReplayStore {
  readonly #ids: SingleUseIds;

  constructor(runtime: () => RuntimeApi) {
    this.#ids = new SingleUseIds(TABLE, () => runtime().db);
  }

  /**
   * true when this proof was not seen before, false when it was. Scoped by key: another key's proof that happens
   * to reuse the jti is a different proof. The digest keeps the row small whatever the client sends as jti; the
   * iat prefix orders the index by time (see the migration). Only the key's holder can sign the same jti with
   * another iat, so that is a new proof of possession, not a replay.
   */
  remember(proof: { jkt: string; jti: string; iat: number }, expiresAt: number): Promise<boolean> {
    const id = `${Math.floor(proof.iat)}:${createHash('sha256').update(`${proof.jkt}:${proof.jti}`).digest('base64url')}`;
    return this.#ids.claim(id, expiresAt);
  }
}

/** Rows whose proofs are past their `iat` window: such a proof is refused on `iat` already. */
export function purgeExpiredProofs(db: Knex, now: number): Promise<number> {
  return db(TABLE).where('expires_at', '<', now).delete();
}
