/**
 * One DPoP proof (RFC 9449 §4.2–§4.3), checked in the order the RFC lists: the JOSE header (alg, typ, a public
 * jwk), the signature with that jwk, then the claims against this request. Nonce and replay are checked by the
 * caller, which has the state they need.
 */
import { decodeSignature, InvalidDpopProof, type JwtClaims } from 'authplane';
import {
  importProofKey,
  jwkThumbprint,
  THUMBPRINT_MEMBERS,
  verifySignature,
  type CheckedHeader,
  type ProofHeaderCache,
  type PublicJwk,
} from './keys.js';
import type { DpopAlgorithm } from './schema.js';

/** Why a proof was refused: the `reason` label of `authplane_dpop_proofs_rejected_total`. */
export type RejectReason =
  | 'malformed'
  | 'multiple_headers'
  | 'alg'
  | 'typ'
  | 'jwk'
  | 'bad_signature'
  | 'htm_mismatch'
  | 'htu_mismatch'
  | 'iat'
  | 'nonce'
  | 'replay'
  | 'missing';

/** `invalid_dpop_proof` that remembers why, for the metric. */
export class RejectedProof extends InvalidDpopProof {
  constructor(
    readonly reason: RejectReason,
    description: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(description, options);
  }
}

/** RFC 9449 §4.2: the `typ` of a proof. */
const PROOF_TYP = 'dpop+jwt';

/** RFC 7518 §6 / RFC 8037: members only a private (or symmetric) key has. A proof carrying one leaked its key. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** RFC 7515 §2: base64url without padding. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A jti is a random identifier (RFC 9449 §4.2 suggests 96 bits or more); anything this long is not one. */
const MAX_JTI_LENGTH = 256;

export interface ProofRequest {
  method: string;
  /** The URL the request was addressed to (the issuer's origin + path). */
  url: string;
  now: number;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key (base64url): `cnf.jkt` of the tokens it binds. */
  jkt: string;
  jti: string;
  iat: number;
  nonce?: string;
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RFC 9449 §4.3 step 9 with RFC 3986 §6.2.2–§6.2.3: scheme and host lowercase, default port dropped, dot segments
 * resolved (all by WHATWG URL parsing), percent-encodings in upper case with unreserved characters decoded; query
 * and fragment ignored. Undefined when it is not an absolute http(s) URL.
 */
export function normalizeHtu(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username || url.password) return undefined;
  const path = url.pathname.replace(/%[0-9a-fA-F]{2}/g, (escape) => {
    const char = String.fromCharCode(parseInt(escape.slice(1), 16));
    return /^[A-Za-z0-9\-._~]$/.test(char) ? char : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

function publicJwk(header: Record<string, unknown>): PublicJwk {
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new RejectedProof('jwk', 'DPoP proof header must carry the public key as a jwk object');
  }
  const members = jwk as Record<string, unknown>;
  const secret = PRIVATE_MEMBERS.find((name) => name in members);
  if (secret) throw new RejectedProof('jwk', `DPoP proof jwk must be a public key; it carries the private member '${secret}'`);
  // Only the members the thumbprint covers are imported (no key_ops, ext, alg…): the key is what jkt names.
  const wanted = THUMBPRINT_MEMBERS[String(members.kty)];
  if (!wanted) throw new RejectedProof('jwk', `DPoP proof jwk kty '${String(members.kty)}' is not an asymmetric key type (EC, RSA, OKP)`);
  const clean: Record<string, unknown> = {};
  for (const name of wanted) {
    if (typeof members[name] !== 'string') throw new RejectedProof('jwk', `DPoP proof jwk lacks its '${name}' member`);
    clean[name] = members[name];
  }
  return clean as PublicJwk;
}

/** Header checks, in the order RFC 9449 §4.3 gives them; `alg` first, so `none` and MACs never go further. */
function checkHeader(header: Record<string, unknown>, algorithms: readonly DpopAlgorithm[]): { alg: DpopAlgorithm; jwk: PublicJwk } {
  const alg = header.alg;
  if (typeof alg !== 'string') throw new RejectedProof('alg', 'DPoP proof header lacks alg');
  if (alg === 'none' || /^HS/i.test(alg)) {
    throw new RejectedProof('alg', `DPoP proof alg '${alg}' is refused: a proof must be signed with an asymmetric key`);
  }
  if (!(algorithms as readonly string[]).includes(alg)) {
    throw new RejectedProof('alg', `DPoP proof alg '${alg}' is not supported (use ${algorithms.join(', ')})`);
  }
  // Media types compare case-insensitively (RFC 2045 §5.1).
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== PROOF_TYP) {
    throw new RejectedProof('typ', `DPoP proof typ must be '${PROOF_TYP}'`);
  }
  // RFC 7515 §4.1.11: an extension the recipient must understand; this server understands none (b64=false…).
  if ('crit' in header) throw new RejectedProof('malformed', 'DPoP proof header carries crit extensions, which are not supported');
  return { alg: alg as DpopAlgorithm, jwk: publicJwk(header) };
}

/** The header of a proof, checked, its key imported: from the cache when this exact header passed before. */
function checkedHeader(encoded: string, algorithms: readonly DpopAlgorithm[], cache: ProofHeaderCache): CheckedHeader {
  const cached = cache.get(encoded);
  if (cached) return cached;
  const header = decodeJson(encoded);
  if (!header) throw new RejectedProof('malformed', 'DPoP proof header is not base64url-encoded JSON');
  const { alg, jwk } = checkHeader(header, algorithms);
  let key;
  try {
    key = importProofKey(jwk, alg);
  } catch (cause) {
    throw new RejectedProof('jwk', `DPoP proof jwk is not a usable ${alg} public key`, { cause });
  }
  const checked = { alg, jkt: jwkThumbprint(jwk), key };
  cache.set(encoded, checked);
  return checked;
}

function checkSignature(parts: readonly string[], { alg, key }: CheckedHeader) {
  const signature = decodeSignature(parts[2]!);
  if (!signature) throw new RejectedProof('bad_signature', 'DPoP proof signature is not canonical base64url');
  let valid: boolean;
  try {
    valid = verifySignature(alg, key, `${parts[0]}.${parts[1]}`, signature);
  } catch (cause) {
    // OpenSSL refuses some malformed signatures (wrong length for the key) instead of answering false.
    throw new RejectedProof('bad_signature', 'DPoP proof signature does not verify with its jwk', { cause });
  }
  if (!valid) throw new RejectedProof('bad_signature', 'DPoP proof signature does not verify with its jwk');
  const claims = decodeJson(parts[1]!);
  if (!claims) throw new RejectedProof('malformed', 'DPoP proof payload is not a JSON object');
  return claims;
}

function checkClaims(claims: JwtClaims, request: ProofRequest, lifetime: number): { jti: string; iat: number; nonce?: string } {
  const { jti, htm, htu, iat, nonce } = claims as Record<string, unknown>;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new RejectedProof('malformed', `DPoP proof jti must be a string of 1 to ${MAX_JTI_LENGTH} characters`);
  }
  if (typeof htm !== 'string') throw new RejectedProof('malformed', 'DPoP proof lacks the htm claim');
  if (typeof htu !== 'string') throw new RejectedProof('malformed', 'DPoP proof lacks the htu claim');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new RejectedProof('malformed', 'DPoP proof lacks a numeric iat claim');
  if (nonce !== undefined && typeof nonce !== 'string') throw new RejectedProof('malformed', 'DPoP proof nonce must be a string');
  if (htm !== request.method) {
    throw new RejectedProof('htm_mismatch', `DPoP proof htm '${htm}' does not match the request method ${request.method}`);
  }
  const expected = normalizeHtu(request.url);
  if (normalizeHtu(htu) !== expected) {
    throw new RejectedProof('htu_mismatch', `DPoP proof htu '${htu}' does not match the request URL ${expected}`);
  }
  const age = request.now / 1000 - iat;
  if (age > lifetime) throw new RejectedProof('iat', `DPoP proof iat is ${Math.floor(age)} s old; proofs are accepted for ${lifetime} s`);
  if (-age > lifetime) {
    throw new RejectedProof('iat', `DPoP proof iat is ${Math.ceil(-age)} s in the future; at most ${lifetime} s of clock skew is accepted`);
  }
  return { jti, iat, ...(nonce !== undefined ? { nonce } : {}) };
}

/** Verifies the value of a single `DPoP` header; throws `RejectedProof` with the first problem found. */
export function verifyProof(
  proof: string,
  request: ProofRequest,
  options: { algorithms: readonly DpopAlgorithm[]; lifetime: number; headers: ProofHeaderCache },
): VerifiedProof {
  const parts = proof.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
    throw new RejectedProof('malformed', 'DPoP proof must be a compact JWS (three dot-separated base64url parts)');
  }
  const header = checkedHeader(parts[0]!, options.algorithms, options.headers);
  const claims = checkSignature(parts, header);
  return { jkt: header.jkt, ...checkClaims(claims, request, options.lifetime) };
}
