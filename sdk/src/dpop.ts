/**
 * RFC 9449 §4.3 and §7.1: checking the DPoP proof that comes with a DPoP-bound access token on a request to the
 * resource server. The proof must be signed by the key the token is bound to (`cnf.jkt`, an RFC 7638 thumbprint),
 * be made for this request (`htm`, `htu`), for this token (`ath`), recently (`iat`), and only once (`jti`).
 */
import { base64url, calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { hasCanonicalSignature } from './jws.js';
import { TokenError, type TokenErrorReason } from './errors.js';
import type { ReplayStore } from './replay-cache.js';

export interface DpopProofCheck {
  /** The raw `DPoP` header value (undefined when absent). */
  proof: string | undefined;
  method: string;
  /** The absolute URL the client sent the request to, as the client saw it. */
  url: string;
  accessToken: string;
  /** The token's `cnf.jkt`. */
  jkt: string;
  algorithms: readonly string[];
  /** How old a proof may be, in seconds (with `skewSec` added). */
  maxAgeSec: number;
  skewSec: number;
  now: () => number;
  replay: ReplayStore;
}

/** RFC 7517 §4 / RFC 7518 §6: members that only a private or symmetric key has. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function refuse(reason: TokenErrorReason, message: string, cause?: unknown): TokenError {
  return new TokenError(reason, message, { code: 'invalid_dpop_proof', scheme: 'DPoP', cause });
}

/** RFC 9449 §4.3 step 9: compare without query and fragment, after RFC 3986 syntax- and scheme-based normalization. */
export function normalizeHtu(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/** RFC 9449 §4.2: `ath` is the base64url SHA-256 of the access token's ASCII bytes. */
export async function accessTokenHash(token: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))));
}

export async function verifyDpopProof(check: DpopProofCheck): Promise<{ jkt: string; jti: string }> {
  const { proof } = check;
  if (!proof) throw refuse('dpop_missing_proof', 'a DPoP-bound token needs a DPoP proof');
  // RFC 9449 §4.3 step 1: exactly one DPoP header. Node joins repeated headers with ", "; a JWS never has a comma.
  if (proof.includes(',')) throw refuse('dpop_multiple_proofs', 'more than one DPoP proof');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch (cause) {
    throw refuse('dpop_malformed', 'the DPoP proof is not a JWS', cause);
  }
  if (header.typ !== 'dpop+jwt') throw refuse('dpop_typ', 'the DPoP proof typ is not dpop+jwt');
  if (typeof header.alg !== 'string' || !check.algorithms.includes(header.alg)) {
    throw refuse('dpop_alg', `DPoP proof alg ${JSON.stringify(header.alg)} is not accepted`);
  }
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') throw refuse('dpop_jwk', 'the DPoP proof has no jwk');
  if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) throw refuse('dpop_jwk', 'the DPoP proof jwk is not a public key');
  if (!hasCanonicalSignature(proof)) throw refuse('dpop_signature', 'the DPoP proof signature is not canonical base64url');
  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(jwk, header.alg);
    const verified = await compactVerify(proof, key, { algorithms: [header.alg] });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch (cause) {
    throw refuse('dpop_signature', 'the DPoP proof signature does not verify with its jwk', cause);
  }
  if (typeof payload.jti !== 'string' || payload.jti.length === 0) throw refuse('dpop_malformed', 'the DPoP proof has no jti');
  if (payload.htm !== check.method.toUpperCase()) throw refuse('dpop_htm', `DPoP proof htm is not ${check.method.toUpperCase()}`);
  const expectedHtu = normalizeHtu(check.url);
  if (typeof payload.htu !== 'string' || normalizeHtu(payload.htu) !== expectedHtu) {
    throw refuse('dpop_htu', `DPoP proof htu does not match ${expectedHtu}`);
  }
  const now = Math.floor(check.now() / 1000);
  if (typeof payload.iat !== 'number' || payload.iat > now + check.skewSec || payload.iat < now - check.maxAgeSec - check.skewSec) {
    throw refuse('dpop_iat', 'the DPoP proof iat is outside the accepted window');
  }
  if (typeof payload.ath !== 'string') throw refuse('dpop_ath', 'the DPoP proof has no ath');
  if (payload.ath !== (await accessTokenHash(check.accessToken))) throw refuse('dpop_ath', 'the DPoP proof ath does not match the access token');
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (jkt !== check.jkt) {
    // RFC 9449 §7.1: the token is not usable with this key; the proof itself may be fine.
    throw new TokenError('dpop_key_mismatch', 'the DPoP proof key is not the key the token is bound to', { scheme: 'DPoP' });
  }
  // Last, so only proofs that passed every other check take room in the cache.
  const fresh = await check.replay.remember(`${jkt}.${payload.jti}`, (payload.iat + check.maxAgeSec + check.skewSec) * 1000);
  if (!fresh) throw refuse('dpop_replay', 'the DPoP proof was already used');
  return { jkt, jti: payload.jti };
}
