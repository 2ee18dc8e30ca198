/**
 * Server nonces (RFC 9449 §8) without a database write: a nonce is its issue time (seconds, 6 bytes) and a
 * truncated HMAC-SHA256 of it, base64url. Any replica holding the same key checks it with no lookup, and it
 * expires by arithmetic. The key is derived from the session secret, so replicas sharing AUTHPLANE_SESSION_SECRET
 * accept each other's nonces (an ephemeral secret keeps them to one process, and to its lifetime).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { environmentSecret } from 'authplane';
import { dpopErrors } from './errors.js';

const TIME_BYTES = 6;
/** 128 bits of MAC: forging one is out of reach, and the nonce stays short (32 characters). */
const MAC_BYTES = 16;
/** A nonce minted by a replica whose clock runs slightly ahead is still accepted. */
const CLOCK_SKEW_S = 5;
/** Domain separation: this key signs nothing but DPoP nonces. */
const KEY_LABEL = 'authplane/dpop-nonce/v1';

export const NONCE_SECRET_ENV = 'AUTHPLANE_SESSION_SECRET';
const MIN_NONCE_SECRET = 32;

/**
 * The secret nonces are keyed from, checked at register when `requireNonce` is on: a non-localhost issuer must have
 * one (replicas must agree on it); on localhost a missing one is ephemeral and `warning` says so.
 */
export function nonceSecret(env: Readonly<Record<string, string | undefined>>, issuer: string): { secret: string; warning?: string } {
  const checked = environmentSecret(NONCE_SECRET_ENV, env[NONCE_SECRET_ENV], issuer, MIN_NONCE_SECRET);
  if ('problem' in checked) throw dpopErrors.INSECURE_SECRET(`refusing to start:\n  ${checked.problem} (dpop.requireNonce)`);
  const warning = checked.ephemeral ? `${NONCE_SECRET_ENV} is not set: DPoP nonces use an ephemeral key (valid on this process only)` : checked.warning;
  return { secret: checked.secret, ...(warning ? { warning } : {}) };
}

export type NonceCheck = 'valid' | 'expired' | 'invalid';

export class DpopNonces {
  readonly #key: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.#key = createHmac('sha256', secret).update(KEY_LABEL).digest();
  }

  #mac(time: Buffer): Buffer {
    return createHmac('sha256', this.#key).update(time).digest().subarray(0, MAC_BYTES);
  }

  issue(now = Date.now()): string {
    const time = Buffer.alloc(TIME_BYTES);
    time.writeUIntBE(Math.floor(now / 1000), 0, TIME_BYTES);
    return Buffer.concat([time, this.#mac(time)]).toString('base64url');
  }

  check(nonce: string, now = Date.now()): NonceCheck {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== TIME_BYTES + MAC_BYTES || raw.toString('base64url') !== nonce) return 'invalid';
    const time = raw.subarray(0, TIME_BYTES);
    if (!timingSafeEqual(raw.subarray(TIME_BYTES), this.#mac(time))) return 'invalid';
    // Whole seconds on both sides: a nonce lives nonceTtl seconds after the second it was issued in.
    const age = Math.floor(now / 1000) - time.readUIntBE(0, TIME_BYTES);
    if (age < -CLOCK_SKEW_S) return 'invalid';
    return age > this.ttlSeconds ? 'expired' : 'valid';
  }
}
