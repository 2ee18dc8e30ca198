import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export interface LockoutPolicy {
  maxFailures: number;
  failureWindow: number;
  lockout: number;
}

interface CounterRow {
  failures: number | string;
  locked_until: number | string | null;
}

/** knex.raw answers with the rows on SQLite and with pg's result object (rows in `.rows`) on PostgreSQL. */
function rowsOf(result: unknown): CounterRow[] {
  return Array.isArray(result) ? result : ((result as { rows?: CounterRow[] }).rows ?? []);
}

/*
 * One statement per step, written out because it is the same SQL on SQLite (≥ 3.35: UPSERT with RETURNING) and
 * PostgreSQL, and atomic on both: concurrent attempts on one key each see the count the others left.
 *
 * An attempt is counted before its password is checked. A pair that is locked stays as it is; a lock that is over,
 * or a window that is over, starts a new window; otherwise the count goes up, and an attempt beyond `maxFailures`
 * (others are still being checked) locks the pair there and then.
 */
const COUNT_ATTEMPT = `
insert into login_failures ("key", failures, window_start, locked_until) values (?, 1, ?, null)
on conflict ("key") do update set
  failures = case
    when login_failures.locked_until > ? then login_failures.failures
    when login_failures.locked_until is not null or login_failures.window_start <= ? then 1
    else login_failures.failures + 1 end,
  window_start = case
    when login_failures.locked_until > ? then login_failures.window_start
    when login_failures.locked_until is not null or login_failures.window_start <= ? then excluded.window_start
    else login_failures.window_start end,
  locked_until = case
    when login_failures.locked_until > ? then login_failures.locked_until
    when login_failures.locked_until is not null or login_failures.window_start <= ? then null
    when login_failures.failures + 1 > ? then cast(? as bigint)
    else null end
returning failures, locked_until`;

/** A failed attempt: once the attempts counted (this one included) reach `maxFailures`, the pair is locked. */
const LOCK_IF_SPENT = `
update login_failures set locked_until = case
    when failures >= ? and (locked_until is null or locked_until <= ?) then cast(? as bigint)
    else locked_until end
where "key" = ?
returning failures, locked_until`;

/**
 * Failed-login counters per (email, client), in the database so every replica sees them. The key is a digest: the
 * table never holds the email addresses people mistyped. The client is the identity the rate limit counts (the
 * kernel's `clientKey`: the IPv4 address, or the IPv6 /64).
 *
 * Every attempt is counted before the slow password check (`begin`), so parallel guesses cannot all pass a check
 * made before any of them failed: at most `maxFailures` passwords are checked per window. A right password is
 * accepted only if the pair is still not locked when its check ends (`succeed`).
 */
export class LoginLockout {
  constructor(
    private readonly db: () => Knex,
    private readonly policy: LockoutPolicy,
  ) {}

  key(email: string, client: string): string {
    return createHash('sha256').update(`${email.trim().toLowerCase()}\u0000${client}`).digest('hex');
  }

  #wait(row: CounterRow | undefined, now: number): number {
    const until = row?.locked_until == null ? 0 : Number(row.locked_until);
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /** Counts an attempt before its password is checked: 0 to go ahead, else the seconds the pair must wait. */
  async begin(key: string): Promise<number> {
    const now = Date.now();
    const windowOver = now - this.policy.failureWindow * 1000;
    const until = now + this.policy.lockout * 1000;
    const [row] = rowsOf(
      await this.db().raw(COUNT_ATTEMPT, [key, now, now, windowOver, now, windowOver, now, windowOver, this.policy.maxFailures, until]),
    );
    return this.#wait(row, now);
  }

  /** The attempt's password was wrong: locks the pair once its attempts are spent; the seconds it is locked, or 0. */
  async fail(key: string): Promise<number> {
    const now = Date.now();
    const [row] = rowsOf(
      await this.db().raw(LOCK_IF_SPENT, [this.policy.maxFailures, now, now + this.policy.lockout * 1000, key]),
    );
    return this.#wait(row, now);
  }

  /**
   * The attempt's password was right: forgets the pair's failures unless parallel failures locked it meanwhile;
   * then the seconds it is locked, and the login must be refused.
   */
  async succeed(key: string): Promise<number> {
    const now = Date.now();
    const cleared = await this.db()('login_failures')
      .where({ key })
      .andWhere((q) => q.whereNull('locked_until').orWhere('locked_until', '<=', now))
      .delete();
    if (cleared > 0) return 0;
    // No row, or a locked one. A lock only ever ends by time or by another success, so a lock seen now was there
    // when the delete ran or came after it: either way refusing is right.
    return this.#wait(await this.db()('login_failures').where({ key }).first(), now);
  }
}
