/**
 * Single use of assertion `jti`s (RFC 7523 §3 item 7): one row per accepted assertion until it expires. The key is a
 * digest of issuer and jti, so a long jti fits and two issuers' jtis never collide; a second INSERT of the same key
 * fails on the primary key, which holds across replicas sharing the database (one statement, never read-then-write).
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { RegisterApi, RuntimeApi } from 'authplane';

const jtiKey = (issuer: string, jti: string) => createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url');

export async function consumeJti(runtime: RuntimeApi, issuer: string, jti: string, expiresAt: number): Promise<boolean> {
  try {
    await runtime.db('assertion_jtis').insert({ id: jtiKey(issuer, jti), expires_at: expiresAt * 1000 });
    return true;
  } catch (err) {
    if (runtime.dialect.isUniqueViolation(err)) return false;
    throw err;
  }
}

export function purgeExpiredJtis(db: Knex, now: number): Promise<number> {
  return db('assertion_jtis').where('expires_at', '<', now).delete();
}

export function registerJtiPurge(api: RegisterApi): void {
  api.registries.purgeTargets.register('assertion_jti', {
    description: 'used assertion jtis (private_key_jwt client assertions, ID-JAGs) past their expiry',
    purge: ({ db, now }) => purgeExpiredJtis(db, now.getTime()),
  });
}
