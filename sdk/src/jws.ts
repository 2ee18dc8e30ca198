import { base64url } from 'jose';

/**
 * Whether a compact JWS's signature segment is the one canonical base64url spelling of its bytes. jose decodes a
 * last character with its unused low bits set to the same bytes, so without this check one token (or proof) would
 * verify under several texts — and pass anything keyed by its text, such as a cache of verified tokens.
 */
export function hasCanonicalSignature(jws: string): boolean {
  const segment = jws.slice(jws.lastIndexOf('.') + 1);
  try {
    return base64url.encode(base64url.decode(segment)) === segment;
  } catch {
    return false;
  }
}
