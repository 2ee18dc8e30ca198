/**
 * Single use through the primary key: one row per id until it expires, written with `INSERT … ON CONFLICT DO NOTHING
 * RETURNING id`. An id is fresh exactly when its row came back — never read-then-write, so of two replicas seeing one
 * id at once exactly one wins. Ids claimed in one event-loop turn share the statement (design §6, group commit): a
 * burst costs one round trip, not one each. DPoP proofs and JWT assertions (`jti`s) are such ids.
 *
 * The table needs `id` (primary key, string) and `expires_at` (integer ms); purging past rows is the owner's job.
 */
import type { Knex } from 'knex';
import { insertNewIds } from '../fast-path/driver-statements.js';
import { afterReads } from '../loop-turn.js';
import type { Dialect } from './dialect.js';

interface Claim {
  expiresAt: number;
  resolve: (fresh: boolean) => void;
  reject: (error: unknown) => void;
}

export class SingleUseIds {
  #pending = new Map<string, Claim[]>();
  #scheduled = false;

  /**
   * `db` (and `dialect`) are read at each flush: a plugin builds this in register, before the database is open.
   * With the dialect, the statement runs on the driver's connection when the database allows fast paths; without
   * it, always through knex.
   */
  constructor(
    private readonly table: string,
    private readonly db: () => Knex,
    private readonly dialect?: () => Dialect,
  ) {}

  /**
   * true when `id` was not claimed before (its row is now written, kept until `expiresAt`, ms), false when it was.
   * `expiresAt` is rounded up to a whole millisecond: it often comes from a JWT's NumericDate, which may have a
   * fraction, and the column is an integer (PostgreSQL refuses 1.5 for a bigint).
   */
  claim(id: string, expiresAt: number): Promise<boolean> {
    expiresAt = Math.ceil(expiresAt);
    return new Promise((resolve, reject) => {
      const claims = this.#pending.get(id);
      if (claims) claims.push({ expiresAt, resolve, reject });
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
      const rows = ids.map((id) => ({ id, expiresAt: batch.get(id)![0]!.expiresAt }));
      const inserted = await insertNewIds(this.db(), this.dialect?.(), this.table, rows);
      // The same id twice in one turn: the first in line is the one that used it.
      for (const [id, claims] of batch) claims.forEach((claim, index) => claim.resolve(index === 0 && inserted.has(id)));
    } catch (error) {
      for (const claims of batch.values()) for (const claim of claims) claim.reject(error);
    }
  }
}
