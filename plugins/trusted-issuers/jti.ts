/**
 * Single use of assertion `jti`s (RFC 7523 §3 item 7): one row per accepted assertion until it expires. The key is a
 * digest of issuer and jti, so a long jti fits and two issuers' jtis never collide. Single use is the primary key:
 * `INSERT … ON CONFLICT DO NOTHING RETURNING id`, and a jti is fresh exactly when its row came back — never
 * read-then-write, so of two replicas seeing one assertion at once exactly one wins. Assertions arriving in one
 * event-loop turn share the statement (design §6, group commit): a burst costs one round trip.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { afterReads, type RegisterApi, type RuntimeApi } from 'authplane';

const TABLE = 'assertion_jtis';
/** Rows per INSERT: two bound parameters each, far below SQLite's limit on parameters per statement. */
const CHUNK = 500;

interface Waiter {
  expiresAt: number;
  resolve: (fresh: boolean) => void;
  reject: (error: unknown) => void;
}

const jtiKey = (issuer: string, jti: string) => createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url');

/** knex.raw answers with the rows on SQLite and with pg's result object (rows in `.rows`) on PostgreSQL. */
const returnedRows = (result: unknown): { id: string }[] => (Array.isArray(result) ? result : ((result as { rows?: { id: string }[] }).rows ?? []));

export class JtiStore {
  #pending = new Map<string, Waiter[]>();
  #scheduled = false;

  constructor(private readonly runtime: () => RuntimeApi) {}

  /** true when the jti was not used before; `expiresAt` in seconds. */
  consume(issuer: string, jti: string, expiresAt: number): Promise<boolean> {
    const id = jtiKey(issuer, jti);
    return new Promise((resolve, reject) => {
      const waiters = this.#pending.get(id);
      const waiter = { expiresAt: expiresAt * 1000, resolve, reject };
      if (waiters) waiters.push(waiter);
      else this.#pending.set(id, [waiter]);
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
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        const bindings = chunk.flatMap((id) => [id, batch.get(id)![0]!.expiresAt]);
        // The same SQL on SQLite (≥ 3.35) and PostgreSQL; both return only the rows inserted.
        const sql = `insert into ${TABLE} (id, expires_at) values ${chunk.map(() => '(?, ?)').join(', ')} on conflict (id) do nothing returning id`;
        for (const row of returnedRows(await this.runtime().db.raw(sql, bindings))) inserted.add(row.id);
      }
      // The same assertion twice in one turn: the first in line used it.
      for (const [id, waiters] of batch) waiters.forEach((waiter, index) => waiter.resolve(index === 0 && inserted.has(id)));
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}

export function purgeExpiredJtis(db: Knex, now: number): Promise<number> {
  return db(TABLE).where('expires_at', '<', now).delete();
}

export function registerJtiPurge(api: RegisterApi): void {
  api.registries.purgeTargets.register('assertion_jti', {
    description: 'used assertion jtis (private_key_jwt client assertions, ID-JAGs) past their expiry',
    purge: ({ db, now }) => purgeExpiredJtis(db, now.getTime()),
  });
}
