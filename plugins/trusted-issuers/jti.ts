/**
 * Single use of assertion `jti`s (RFC 7523 §3 item 7): one row per accepted assertion until it expires. The key is
 * `<exp>:<digest of issuer and jti>`: the digest lets a long jti fit and keeps two issuers' jtis apart, the leading
 * `exp` (seconds, ten digits until 2286) puts new keys next to each other in the index and lets the purge find
 * expired rows through it (migrations/trusted-issuers/0012). Single use is the primary key: the kernel's
 * SingleUseIds (one group-committed `INSERT … ON CONFLICT DO NOTHING RETURNING id` per event-loop turn), so of two
 * replicas seeing one assertion at once exactly one wins.
 */
import { createHash } from 'node:crypto';
import { SingleUseIds, type PurgeDeletion, type RegisterApi, type RuntimeApi } from 'authplane';

const TABLE = 'assertion_jtis';

/** `exp` is the assertion's, in seconds (a NumericDate may have a fraction); a replay carries the same one. */
export const jtiKey = (issuer: string, jti: string, exp: number) =>
  `${Math.floor(exp)}:${createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url')}`;

export class JtiStore {
  readonly #ids: SingleUseIds;

  constructor(runtime: () => RuntimeApi) {
    this.#ids = new SingleUseIds(TABLE, () => runtime().db, () => runtime().dialect);
  }

  /** true when the jti was not used before; `expiresAt` in seconds. */
  consume(issuer: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.#ids.claim(jtiKey(issuer, jti, expiresAt), expiresAt * 1000);
  }
}

/**
 * Rows past their assertion's `exp`, found through the key: every key below the current second's is of an assertion
 * that expired before it. `expires_at` stays the condition that decides.
 */
export function expiredJtis(now: number): PurgeDeletion {
  return { table: TABLE, key: 'id', where: (q) => q.where('id', '<', String(Math.floor(now / 1000))).andWhere('expires_at', '<', now) };
}

export function registerJtiPurge(api: RegisterApi): void {
  api.registries.purgeTargets.register('assertion_jti', {
    description: 'used assertion jtis (private_key_jwt client assertions, ID-JAGs) past their expiry',
    deletes: ({ now }) => [expiredJtis(now.getTime())],
  });
}
