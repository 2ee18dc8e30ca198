import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export interface LockoutPolicy {
  maxFailures: number;
  failureWindow: number;
  lockout: number;
}

/**
 * Failed-login counters per (email, IP), in the database so every replica sees them. The key is a digest: the
 * table never holds the email addresses people mistyped.
 */
export class LoginLockout {
  constructor(
    private readonly db: () => Knex,
    private readonly policy: LockoutPolicy,
  ) {}

  key(email: string, ip: string): string {
    return createHash('sha256').update(`${email.trim().toLowerCase()}\u0000${ip}`).digest('hex');
  }

  /** Seconds the pair must still wait, or 0. */
  async retryAfter(key: string): Promise<number> {
    const row = await this.db()('login_failures').where({ key }).first();
    const until = row?.locked_until ? Number(row.locked_until) : 0;
    return until > Date.now() ? Math.ceil((until - Date.now()) / 1000) : 0;
  }

  /** Counts a failure; returns the lockout in seconds if this failure triggered one. */
  async fail(key: string): Promise<number> {
    const now = Date.now();
    const windowMs = this.policy.failureWindow * 1000;
    return this.db().transaction(async (trx) => {
      const row = await trx('login_failures').where({ key }).first();
      const fresh = !row || Number(row.window_start) + windowMs <= now;
      const failures = fresh ? 1 : Number(row.failures) + 1;
      const lockedUntil = failures >= this.policy.maxFailures ? now + this.policy.lockout * 1000 : null;
      if (row) {
        await trx('login_failures')
          .where({ key })
          .update({ failures, window_start: fresh ? now : row.window_start, locked_until: lockedUntil });
      } else {
        await trx('login_failures').insert({ key, failures, window_start: now, locked_until: lockedUntil });
      }
      return lockedUntil ? this.policy.lockout : 0;
    });
  }

  async clear(key: string): Promise<void> {
    await this.db()('login_failures').where({ key }).delete();
  }
}
