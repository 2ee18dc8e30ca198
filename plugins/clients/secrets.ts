/**
 * Client secrets. They are 256-bit random values, so one SHA-256 pass is as strong as any password hash would be
 * and costs microseconds on the token path; scrypt/bcrypt are for low-entropy human passwords only.
 */
import * as crypto from 'node:crypto';

/** OAuth 2.1 §2.3.1 / RFC 6819 §5.1.4.2.2: secrets need enough entropy to resist guessing; 32 bytes = 256 bits. */
const SECRET_BYTES = 32;
/** 128 random bits make client ids unguessable, so an id alone reveals nothing about which clients exist. */
const CLIENT_ID_BYTES = 16;
const CLIENT_ID_PREFIX = 'ap_';

export function generateClientId(): string {
  return CLIENT_ID_PREFIX + crypto.randomBytes(CLIENT_ID_BYTES).toString('base64url');
}

export function generateClientSecret(): string {
  return crypto.randomBytes(SECRET_BYTES).toString('base64url');
}

/**
 * SHA-256 in one call: node's one-shot `crypto.hash` (20.12+) skips the Hash object, half the cost of a check that
 * runs on every authenticated token and introspection request.
 */
const sha256: (data: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data, 'utf8').digest();

/** SHA-256 of the secret, hex: the only form a secret is ever stored in. */
export function secretDigest(secret: string): string {
  return sha256(secret).toString('hex');
}

/** Constant-time check of a presented secret against a stored digest (both compared as 32-byte digests). */
export function secretMatches(presented: string | undefined, storedDigest: string | undefined | null): boolean {
  if (presented === undefined || !storedDigest) return false;
  const expected = Buffer.from(storedDigest, 'hex');
  const actual = sha256(presented);
  return expected.length === actual.length && crypto.timingSafeEqual(expected, actual);
}
