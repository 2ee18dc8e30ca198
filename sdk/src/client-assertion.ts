/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, OpenID Connect Core §9): instead of a shared secret the
 * client sends a short-lived JWT signed with its own private key; the authorization server checks it against the
 * client's registered public key. `iss` and `sub` are the client_id, `aud` the issuer identifier (the audience
 * RFC 7523bis settles on, accepted by every server that takes the token endpoint URL too), `jti` unique, `exp` soon.
 */
import type { KeyObject } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Long enough for a slow network, short enough that a leaked assertion is soon worthless. */
const ASSERTION_LIFETIME_S = 60;

export type SigningKey = JWK | CryptoKey | KeyObject;

function isJwk(key: SigningKey): key is JWK {
  return typeof key === 'object' && key !== null && 'kty' in key && typeof (key as JWK).kty === 'string';
}

/** The JWS alg a key signs with when the caller names none: one choice per key type, the common one. */
function algorithmFor(key: SigningKey): string | undefined {
  if (isJwk(key)) {
    if (key.alg) return key.alg;
    if (key.kty === 'EC') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[key.crv ?? ''];
    if (key.kty === 'RSA') return 'RS256';
    if (key.kty === 'OKP' && key.crv === 'Ed25519') return 'EdDSA';
    return undefined;
  }
  if (!('algorithm' in key)) {
    const type = (key as KeyObject).asymmetricKeyType;
    if (type === 'ec') return { 'prime256v1': 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }[(key as KeyObject).asymmetricKeyDetails?.namedCurve ?? ''];
    if (type === 'rsa') return 'RS256';
    if (type === 'rsa-pss') return 'PS256';
    if (type === 'ed25519') return 'EdDSA';
    return undefined;
  }
  const algorithm = (key as CryptoKey).algorithm as { name: string; namedCurve?: string };
  if (algorithm.name === 'ECDSA') return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[algorithm.namedCurve ?? ''];
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') return 'RS256';
  if (algorithm.name === 'RSA-PSS') return 'PS256';
  if (algorithm.name === 'Ed25519') return 'EdDSA';
  return undefined;
}

const imported = new WeakMap<JWK, Promise<CryptoKey | Uint8Array>>();

export async function clientAssertion(options: { clientId: string; audience: string; key: SigningKey; alg?: string; kid?: string; now: () => number }): Promise<string> {
  const alg = options.alg ?? algorithmFor(options.key);
  if (!alg) throw new TypeError('private_key_jwt: cannot tell the signing algorithm from the key; pass signingAlg');
  if (alg === 'none' || alg.startsWith('HS')) throw new TypeError(`private_key_jwt needs an asymmetric algorithm, not ${alg}`);
  let key: CryptoKey | KeyObject | Uint8Array;
  if (isJwk(options.key)) {
    const jwk = options.key;
    if (!jwk.d) throw new TypeError('private_key_jwt: the JWK is a public key; the private one signs');
    let pending = imported.get(jwk);
    if (!pending) imported.set(jwk, (pending = importJWK(jwk, alg)));
    key = await pending;
  } else {
    key = options.key;
  }
  const kid = options.kid ?? (isJwk(options.key) ? options.key.kid : undefined);
  const iat = Math.floor(options.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.audience)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_S)
    .sign(key);
}
