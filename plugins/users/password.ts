/**
 * Human passwords, hashed with scrypt (RFC 7914) through node:crypto's asynchronous API, which runs on the libuv
 * thread pool — a login never blocks the event loop. The cost parameters and salt live in the hash string
 * (`scrypt$N$r$p$salt$hash`, base64url), so raising the cost later keeps old hashes verifiable.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** RFC 7914 §2 parameters: N = 2^15 (32 MiB of memory per hash), r = 8, p = 1 — above the 2^14 interactive baseline. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Stored hashes are ours, but a corrupted row must not make a login allocate gigabytes. */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

export const MIN_PASSWORD_LENGTH = 8;
/** scrypt's cost does not grow with the input, but nothing needs passphrases longer than this. */
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  // Memory scrypt needs is 128·N·r bytes; node refuses above `maxmem`, which defaults to exactly 32 MiB.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  // RFC 8265 (PRECIS OpaqueString): NFC, so the same password typed on another keyboard still matches.
  const input = Buffer.from(password.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) =>
    scrypt(input, salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, COST.N, COST.r, COST.p);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant time in the comparison; a malformed hash is simply a mismatch. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const valid =
    Number.isInteger(N) && N > 1 && N <= MAX_N && (N & (N - 1)) === 0 &&
    Number.isInteger(r) && r >= 1 && r <= MAX_R &&
    Number.isInteger(p) && p >= 1 && p <= MAX_P;
  if (!valid) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (salt.length === 0 || expected.length === 0) return false;
  const key = await derive(password, salt, N, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password with the current cost, checked when the email is unknown so that the answer takes as
 * long as for a known email with a wrong password.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('base64url'));
  return dummy;
}
