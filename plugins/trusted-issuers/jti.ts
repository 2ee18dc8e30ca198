/**
 * Single use of assertion `jti`s (RFC 7523 §3 item 7): one row per accepted assertion until it expires. The key is a
 * digest of issuer and jti, so a long jti fits and two issuers' jtis never collide. Single use is the primary key:
 * the kernel's SingleUseIds (one group-committed `INSERT … ON CONFLICT DO NOTHING RETURNING id` per event-loop turn),
 * so of two replicas seeing one assertion at once exactly one wins.
 */
import { createHash } from 'node:crypto';
import { SingleUseIds, type RegisterApi, type RuntimeApi } from 'authplane';

const TABLE = 'assertion_jtis';

const jtiKey = (issuer: string, jti: string) => createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url');

export class JtiStore {
  readonly #ids: SingleUseIds;

  constructor(runtime: () => RuntimeApi) {
    this.#ids = new SingleUseIds(TABLE, () => runtime().db, () => runtime().dialect);
  }

  /** true when the jti was not used before; `expiresAt` in seconds. */
  consume(issuer: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.#ids.claim(jtiKey(issuer, jti), expiresAt * 1000);
  }
}

export function registerJtiPurge(api: RegisterApi): void {
  api.registries.purgeTargets.register('assertion_jti', {
    description: 'used assertion jtis (private_key_jwt client assertions, ID-JAGs) past their expiry',
    deletes: ({ now }) => [{ table: TABLE, key: 'id', where: (q) => q.where('expires_at', '<', now.getTime()) }],
  });
}
