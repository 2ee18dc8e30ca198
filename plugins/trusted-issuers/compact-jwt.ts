/**
 * A signed JWT in the JWS compact serialization (RFC 7515 §7.1, RFC 7519 §7.2) verified with node:crypto on
 * KeyObjects imported once (key-set.ts), and its claims checked as RFC 7519 §4.1 and RFC 7523 §3 ask. Every refusal
 * is an AssertionRejected whose reason is the metric label and audit detail the callers report.
 */
import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { ASSERTION_ALGORITHMS, type AssertionAlgorithm } from './key-set.js';
import { AssertionRejected } from './types.js';

/** Clock skew between us and the signer that `exp`, `nbf` and `iat` tolerate, in seconds. */
export const CLOCK_TOLERANCE_S = 30;

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The parts of a compact JWS before its header and signature are checked (only decodeJws makes one). */
export class ParsedJws {
  constructor(
    readonly header: JWTHeaderParameters,
    readonly payload: JWTPayload,
    readonly signingInput: Buffer,
    readonly signature: Buffer,
  ) {}
}

export interface ClaimChecks {
  issuer: string;
  audience: readonly string[];
  /** Claims that must be present besides `iss`, `aud` and `exp` (always required). */
  requiredClaims?: readonly string[];
  /** Seconds: the oldest `iat` accepted (then `iat` is required). */
  maxAge?: number;
}

const malformed = (message: string) => new AssertionRejected('malformed', message);

/** RFC 7515 §2: base64url without padding, strictly (Buffer's decoder skips what it does not know). */
function segment(value: string): Buffer {
  if (!BASE64URL.test(value) || value.length % 4 === 1) throw malformed('the assertion is not a valid signed JWT');
  return Buffer.from(value, 'base64url');
}

/** A JSON object in UTF-8, as a JOSE header and a claims set must be (RFC 7515 §4, RFC 7519 §7.2 item 10). */
function jsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    throw malformed(`the assertion's ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(`the assertion's ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Splits and decodes a compact JWS: three strict base64url segments, a JSON-object header and claims set. Neither
 * the header's `alg` and `crit` (checkHeader) nor the signature is checked yet: the claims may be read to find out
 * whose keys verify it.
 */
export function decodeJws(token: string): ParsedJws {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (second < 0 || token.indexOf('.', second + 1) >= 0) throw malformed('the assertion is not a JWT');
  const header = jsonObject(segment(token.slice(0, first)), 'header') as JWTHeaderParameters;
  const payload = jsonObject(segment(token.slice(first + 1, second)), 'payload') as JWTPayload;
  const signature = segment(token.slice(second + 1));
  return new ParsedJws(header, payload, Buffer.from(token.slice(0, second), 'latin1'), signature);
}

/** The header's `alg`, when it is one of ASSERTION_ALGORITHMS and no critical extension is named. */
export function checkHeader(jws: ParsedJws): AssertionAlgorithm {
  const alg = jws.header.alg;
  if (typeof alg !== 'string' || alg === '') throw malformed('the assertion has no alg');
  if (!(ASSERTION_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new AssertionRejected('unsupported_alg', `the assertion must be signed with ${ASSERTION_ALGORITHMS.join(', ')}`);
  }
  // RFC 7515 §4.1.11: no extension is understood here, so any critical one makes the JWS invalid (b64 included:
  // RFC 7797 §7 forbids unencoded payloads in a JWT).
  if ('crit' in jws.header) throw malformed('the assertion names critical header parameters');
  return alg as AssertionAlgorithm;
}

/**
 * Whether a check goes to libuv's pool. With a second core the pool thread verifies beside the event loop; confined
 * to one (taskset, cpuset: what `availableParallelism` reports), the pool thread only takes turns with the loop on
 * that core, and handing the job over costs more than it frees, so the check runs in place (docs/performance.md).
 */
const OFF_LOOP = availableParallelism() > 1;

/** node:crypto's `verify`: with a callback (libuv's pool, as WebCrypto did) when OFF_LOOP, else synchronously. */
function verifyWhereCheapest(algorithm: string | null, data: Buffer, key: VerifyKeyObjectInput | KeyObject, signature: Buffer): Promise<boolean> {
  if (!OFF_LOOP) {
    try {
      return Promise.resolve(verify(algorithm, data, key, signature));
    } catch {
      return Promise.resolve(false);
    }
  }
  return new Promise((resolve) => {
    try {
      verify(algorithm, data, key, signature, (err, valid) => resolve(!err && valid));
    } catch {
      resolve(false);
    }
  });
}

/** RFC 7518 §3.3–3.5, RFC 8037 §3.1: the signature over the signing input, by one key. */
function signatureValid(jws: ParsedJws, alg: AssertionAlgorithm, key: KeyObject): Promise<boolean> {
  switch (alg) {
    case 'ES256':
      // RFC 7518 §3.4: R || S, 32 octets each; a DER-encoded signature is not a JWS signature.
      if (jws.signature.length !== 64) return Promise.resolve(false);
      return verifyWhereCheapest('sha256', jws.signingInput, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    case 'RS256':
      return verifyWhereCheapest('sha256', jws.signingInput, key, jws.signature);
    case 'PS256':
      return verifyWhereCheapest('sha256', jws.signingInput, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, jws.signature);
    case 'EdDSA':
      return verifyWhereCheapest(null, jws.signingInput, key, jws.signature);
  }
}

/** Whether any of the candidate keys made the signature; none is `unknown_kid`, a wrong one `invalid_signature`. */
export async function checkSignature(jws: ParsedJws, alg: AssertionAlgorithm, keys: readonly KeyObject[]): Promise<void> {
  if (keys.length === 0) throw new AssertionRejected('unknown_kid', 'no key of the issuer matches the assertion');
  for (const key of keys) if (await signatureValid(jws, alg, key)) return;
  throw new AssertionRejected('invalid_signature', 'the assertion signature is invalid');
}

const claimRefused = (claim: string, why: string) => {
  const reason = ({ aud: 'wrong_audience', iss: 'wrong_issuer', iat: 'too_old', nbf: 'not_yet_valid' } as Record<string, string>)[claim] ?? 'invalid_claims';
  return new AssertionRejected(reason, `the assertion's ${claim} claim is not acceptable: ${why}`);
};

function numericDate(payload: JWTPayload, claim: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value = payload[claim];
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) throw claimRefused(claim, 'invalid');
  return value;
}

/** RFC 7519 §4.1 and RFC 7523 §3 on a verified payload, at `nowMs` with CLOCK_TOLERANCE_S of skew either way. */
export function checkClaims(payload: JWTPayload, checks: ClaimChecks, nowMs: number): void {
  const required = ['iss', 'aud', 'exp', ...(checks.maxAge !== undefined ? ['iat'] : []), ...(checks.requiredClaims ?? [])];
  for (const claim of required) if (!Object.hasOwn(payload, claim)) throw claimRefused(claim, 'missing');
  if (payload.iss !== checks.issuer) throw claimRefused('iss', 'unexpected value');
  const aud = payload.aud;
  const audienceOk = typeof aud === 'string' ? checks.audience.includes(aud) : Array.isArray(aud) && checks.audience.some((a) => aud.includes(a));
  if (!audienceOk) throw claimRefused('aud', 'unexpected value');
  const now = Math.floor(nowMs / 1000);
  const iat = numericDate(payload, 'iat');
  const nbf = numericDate(payload, 'nbf');
  if (nbf !== undefined && nbf > now + CLOCK_TOLERANCE_S) throw claimRefused('nbf', 'unexpected value');
  const exp = numericDate(payload, 'exp')!;
  if (exp <= now - CLOCK_TOLERANCE_S) throw new AssertionRejected('expired', 'the assertion has expired');
  if (checks.maxAge !== undefined) {
    const age = now - iat!;
    if (age - CLOCK_TOLERANCE_S > checks.maxAge) throw new AssertionRejected('too_old', 'the assertion was issued too long ago');
    if (age < -CLOCK_TOLERANCE_S) throw claimRefused('iat', 'issued in the future');
  }
}
