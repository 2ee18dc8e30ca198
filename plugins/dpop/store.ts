/** Queries of the replay store (`dpop_proof_jtis`). Timestamps are integer ms. */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { afterReads, type RuntimeApi } from 'authplane';

const TABLE = 'dpop_proof_jtis';
/** Rows per INSERT: two bound parameters each, far below SQLite's limit on parameters per statement. */
const CHUNK = 500;

interface Pending {
  expiresAt: number;
  resolve: (fresh: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Records each accepted proof until its `iat` window closes. Single use is the primary key: one
 * `INSERT … ON CONFLICT DO NOTHING RETURNING id`, and a proof is fresh exactly when its row came back — never
 * read-then-write, so of two replicas seeing one proof at once exactly one wins. Proofs arriving in the same
 * event-loop turn share that statement (design §6, group commit), so a burst costs one round trip, not one each.
 */
export class ProofReplayStore {
  #pending = new Map<string, Pending[]>();
  #scheduled = false;

  constructor(private readonly runtime: () => RuntimeApi) {}

  /**
   * true when this proof was not seen before, false when it was. Scoped by key: another key's proof that happens
   * to reuse the jti is a different proof. The digest keeps the row small whatever the client sends as jti; the
   * iat prefix orders the index by time (see the migration). Only the key's holder can sign the same jti with
   * another iat, so that is a new proof of possession, not a replay.
   */
  remember(proof: { jkt: string; jti: string; iat: number }, expiresAt: number): Promise<boolean> {
    const id = `${Math.floor(proof.iat)}:${createHash('sha256').update(`${proof.jkt}:${proof.jti}`).digest('base64url')}`;
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(id);
      if (waiters) waiters.push({ expiresAt, resolve, reject });
      else this.#pending.set(id, [{ expiresAt, resolve, reject }]);
      if (!this.#scheduled) {
        this.#scheduled = true;
        afterReads(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = new Map();
    const ids = [...batch.keys()];
    try {
      const inserted = new Set<string>();
      const db = this.runtime().db;
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        const bindings = chunk.flatMap((id) => [id, batch.get(id)![0]!.expiresAt]);
        // Written out rather than built: the statement runs on every DPoP token request, and it is the same SQL on
        // SQLite (≥ 3.35) and PostgreSQL. Both return only the rows that were inserted.
        const sql = `insert into ${TABLE} (id, expires_at) values ${chunk.map(() => '(?, ?)').join(', ')} on conflict (id) do nothing returning id`;
        const result: unknown = await db.raw(sql, bindings);
        for (const row of returnedRows(result)) inserted.add(row.id);
      }
      for (const [id, waiters] of batch) {
        // The same proof twice in one turn: the first in line is the one that used it.
        waiters.forEach((waiter, index) => waiter.resolve(index === 0 && inserted.has(id)));
      }
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/** knex.raw answers with the rows on SQLite and with pg's result object (rows in `.rows`) on PostgreSQL. */
function returnedRows(result: unknown): { id: string }[] {
  return Array.isArray(result) ? result : ((result as { rows?: { id: string }[] }).rows ?? []);
}

/** Rows whose proofs are past their `iat` window: such a proof is refused on `iat` already. */
export function purgeExpiredProofs(db: Knex, now: number): Promise<number> {
  return db(TABLE).where('expires_at', '<', now).delete();
}
