/**
 * Proof keys: RFC 7638 thumbprints and the imported keys behind them. A client signs every proof with the same key,
 * and importing a JWK costs more than verifying a signature with it, so imported keys are kept (least recently used
 * first out) by thumbprint — a hash of exactly the members that define the key, so equal thumbprints are equal keys.
 */
import { createHash } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
export const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/** Enough for every client of a busy server to stay imported; an entry is one small key object. */
const MAX_CACHED_KEYS = 1000;

/** RFC 7638 SHA-256 thumbprint, base64url: members of `THUMBPRINT_MEMBERS` only, no whitespace, in that order. */
export function jwkThumbprint(jwk: JWK): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty!]!;
  const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify((jwk as Record<string, unknown>)[name])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

export class ProofKeyCache {
  readonly #keys = new Map<string, CryptoKey>();

  /** The key for `alg`; throws what jose throws when the JWK is not a usable key for it. */
  async import(jwk: JWK, jkt: string, alg: string): Promise<CryptoKey> {
    const id = `${alg}:${jkt}`;
    const cached = this.#keys.get(id);
    if (cached) {
      // Re-inserted so the Map's insertion order is the recency order.
      this.#keys.delete(id);
      this.#keys.set(id, cached);
      return cached;
    }
    const key = (await importJWK(jwk, alg)) as CryptoKey;
    this.#keys.set(id, key);
    if (this.#keys.size > MAX_CACHED_KEYS) this.#keys.delete(this.#keys.keys().next().value!);
    return key;
  }
}
