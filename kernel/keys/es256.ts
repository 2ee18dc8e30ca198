import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface Es256Key {
  privateJwk: JsonWebKey;
  kid: string;
}

/** RFC 7638 §3.2: the thumbprint hashes the required members in lexicographic order. */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const canonical =
    jwk.kty === 'EC'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateEs256Key(): Es256Key {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateJwk = privateKey.export({ format: 'jwk' });
  return { privateJwk, kid: jwkThumbprint(privateJwk) };
}

export function importPrivateJwk(jwk: JsonWebKey): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Public members only: a JWKS must never carry `d`. */
export function publicJwk(kid: string, publicKey: KeyObject): Record<string, string> {
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return { kid, kty: kty!, crv: crv!, x: x!, y: y!, alg: 'ES256', use: 'sig' };
}

/**
 * Compact JWS with node:crypto: several times faster than a general JOSE library on this path, which is every
 * token the server issues. `ieee-p1363` gives the raw r||s signature JWS requires (RFC 7518 §3.4), not DER.
 */
export function signCompactEs256(encodedHeader: string, claims: Record<string, unknown>, key: KeyObject): string {
  const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

/**
 * The bytes of a JWS signature segment, or undefined when the segment is not their one canonical base64url form.
 * Node's decoder skips characters outside the alphabet and ignores the unused low bits of the last character, so
 * several strings decode to the same signature: accepting them would let one token circulate under many spellings
 * (and past anything keyed by the token's text).
 */
export function decodeSignature(segment: string): Buffer | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}
