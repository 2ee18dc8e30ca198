/**
 * A JWK set's public keys, imported once into node:crypto KeyObjects: the set of a JWKS URL lives in the JWKS cache
 * and a client's inline `jwks` in a WeakMap by its metadata object, so a request verifies against keys imported when
 * the set was fetched or the client read, not on every assertion.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';

/** The algorithms an assertion may use (the list; `none` and HMAC never, RFC 8725 §3.1, §3.2). */
export const ASSERTION_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];

/** The JWK `kty` (and `crv`) each algorithm verifies with (RFC 7518 §3, RFC 8037 §3.1). */
const KEY_TYPE: Record<AssertionAlgorithm, { kty: string; crv?: string }> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};
/** RFC 7518 §3.3, §3.5: RSA keys of 2048 bits or more. */
const MIN_RSA_BITS = 2048;

interface Member {
  jwk: Record<string, unknown>;
  /** Imported on first use; null when the JWK does not import as a public key of a usable size. */
  key?: KeyObject | null;
}

const uniqueStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item, i) => typeof item === 'string' && value.indexOf(item) === i);

/**
 * Whether a JWK may verify a JWS of `alg` named by `kid` (RFC 7517 §4: `use`, `key_ops`, `alg`, `kid`; the `kty` and
 * `crv` the algorithm needs). A header without `kid` leaves every such key a candidate.
 */
function usable(jwk: Record<string, unknown>, alg: AssertionAlgorithm, kid: unknown): boolean {
  const type = KEY_TYPE[alg];
  return (
    jwk.kty === type.kty &&
    (type.crv === undefined || jwk.crv === type.crv) &&
    (kid === undefined || (typeof kid === 'string' && jwk.kid === kid)) &&
    (jwk.alg === undefined || jwk.alg === alg) &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    (jwk.key_ops === undefined || (uniqueStrings(jwk.key_ops) && jwk.key_ops.includes('verify'))) &&
    (jwk.ext === undefined || typeof jwk.ext === 'boolean')
  );
}

function importPublic(jwk: Record<string, unknown>): KeyObject | null {
  // A private member would import as a private key (whose public half node derives): never a verification key here.
  if ('d' in jwk) return null;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    return null;
  }
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return null;
  return key;
}

export class KeySet {
  readonly #members: Member[];

  constructor(jwks: JSONWebKeySet) {
    const keys: unknown[] = Array.isArray(jwks?.keys) ? jwks.keys : [];
    // A copy: the set a caller holds may change after it was handed over.
    this.#members = keys.filter((k): k is Record<string, unknown> => typeof k === 'object' && k !== null && !Array.isArray(k)).map((jwk) => ({ jwk: structuredClone(jwk) }));
  }

  get size(): number {
    return this.#members.length;
  }

  /** The keys that may verify a JWS of `alg` with header `kid`, in the set's order. */
  candidates(alg: AssertionAlgorithm, kid: unknown): KeyObject[] {
    const found: KeyObject[] = [];
    for (const member of this.#members) {
      if (!usable(member.jwk, alg, kid)) continue;
      if (member.key === undefined) member.key = importPublic(member.jwk);
      if (member.key) found.push(member.key);
    }
    return found;
  }
}
