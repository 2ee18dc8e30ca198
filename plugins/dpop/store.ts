/** Queries of the replay store (`dpop_proof_jtis`). Timestamps are integer ms. */
import { createHash } from 'node:crypto';
import { SingleUseIds, type PurgeDeletion, type RuntimeApi } from 'authplane';

const TABLE = 'dpop_proof_jtis';

/**
 * Records each accepted proof until its `iat` window closes, through the kernel's SingleUseIds: single use is the
 * primary key (of two replicas seeing one proof at once exactly one wins), and proofs arriving in the same event-loop
 * turn share one statement (design §6, group commit).
 */
export class ProofReplayStore {
  readonly #ids: SingleUseIds;

  constructor(runtime: () => RuntimeApi) {
    this.#ids = new SingleUseIds(TABLE, () => runtime().db, () => runtime().dialect);
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

/**
 * Rows whose proofs are past their `iat` window (such a proof is refused on `iat` already), found through the primary
 * key rather than an `expires_at` index (migrations/dpop/0001): a key starts with the proof's `iat` in seconds (ten
 * digits until 2286, so text order is time order), and `expires_at` is `iat + proofLifetime` (+1 s), so every row
 * that expired has a key below the bound. `expires_at` stays the condition that decides; a lifetime raised since
 * leaves a few expired rows above the bound, for a later run.
 */
export function expiredProofs(now: number, proofLifetime: number): PurgeDeletion {
  const lastIat = Math.floor((now - 1000) / 1000 - proofLifetime);
  return { table: TABLE, key: 'id', where: (q) => q.where('id', '<', String(lastIat + 1)).andWhere('expires_at', '<', now) };
}
