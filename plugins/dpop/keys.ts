/**
 * Proof keys: RFC 7638 thumbprints, the imported keys behind them, and JWS signature checks with node:crypto.
 * Signatures are checked like the kernel checks its own tokens — synchronously with a KeyObject — because this
 * runs on every DPoP token request and WebCrypto (what a JOSE library uses) costs about twice the CPU per proof.
 * A client signs every proof with the same key and header, so checked headers and their imported keys are kept.
 */
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { DpopAlgorithm } from './schema.js';

export type PublicJwk = Record<string, string> & { kty: string };

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
export const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

/** Enough for every client of a busy server to stay cached; an entry is a header string and one small key object. */
const MAX_CACHED_HEADERS = 1000;
/** RFC 7518 §3.3 / §3.5: RSA keys of at least 2048 bits. */
const MIN_RSA_BITS = 2048;
/** RFC 7518 §3.5: PS256 uses a salt as long as the SHA-256 output. */
const PSS_SALT_LENGTH = 32;

/** RFC 7638 SHA-256 thumbprint, base64url: members of `THUMBPRINT_MEMBERS` only, no whitespace, in that order. */
export function jwkThumbprint(jwk: PublicJwk): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty]!;
  const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Why this key cannot verify `alg` signatures (RFC 7518 §3.1 key types and sizes), or undefined when it can. */
function keyMismatch(key: KeyObject, alg: DpopAlgorithm): string | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  switch (alg) {
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1' ? undefined : 'ES256 needs an EC P-256 key';
    case 'RS256':
    case 'PS256':
      if (key.asymmetricKeyType !== 'rsa') return `${alg} needs an RSA key`;
      return (details.modulusLength ?? 0) >= MIN_RSA_BITS ? undefined : `${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits`;
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? undefined : 'EdDSA needs an Ed25519 or Ed448 key';
  }
}

/** A proof header that passed every header check, with its key imported and its thumbprint computed. */
export interface CheckedHeader {
  alg: DpopAlgorithm;
  jkt: string;
  key: KeyObject;
}

/**
 * Checked headers by their encoded form. A client's proofs differ only in their payload — the header (alg, typ and
 * the jwk) is byte for byte the same each time — so decoding it, checking it, hashing the key and importing it is
 * done once per client. Only headers that passed are kept; least recently used first out.
 */
export class ProofHeaderCache {
  readonly #headers = new Map<string, CheckedHeader>();

  get(encoded: string): CheckedHeader | undefined {
    const hit = this.#headers.get(encoded);
    if (hit) {
      // Re-inserted so the Map's insertion order is the recency order.
      this.#headers.delete(encoded);
      this.#headers.set(encoded, hit);
    }
    return hit;
  }

  set(encoded: string, header: CheckedHeader): void {
    this.#headers.set(encoded, header);
    if (this.#headers.size > MAX_CACHED_HEADERS) this.#headers.delete(this.#headers.keys().next().value!);
  }
}

/** The key the JWK describes, fit for `alg`; throws an Error saying why not. */
export function importProofKey(jwk: PublicJwk, alg: DpopAlgorithm): KeyObject {
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const mismatch = keyMismatch(key, alg);
  if (mismatch) throw new Error(mismatch);
  return key;
}

/** RFC 7515 §5.2 step 8: the signature over `<header>.<payload>` (ASCII), per RFC 7518 §3 / RFC 8037 §3.1. */
export function verifySignature(alg: DpopAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const data = Buffer.from(signingInput, 'ascii');
  switch (alg) {
    case 'ES256':
      // RFC 7518 §3.4: R || S, 32 bytes each — not DER.
      return signature.length === 64 && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'RS256':
      return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    case 'PS256':
      return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: PSS_SALT_LENGTH }, signature);
    case 'EdDSA':
      return verify(null, data, key, signature);
  }
}
