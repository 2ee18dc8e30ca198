/**
 * RFC 9068 JWT access token validation, done by hand after jose checks the signature, so every refusal has a
 * precise reason: header (`typ`, `alg`) → key → signature → required claims → `iss` → `aud` → time.
 * The header is checked before any key lookup, so `alg: none` or an HMAC token never costs a JWKS fetch.
 */
import { compactVerify, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { hasCanonicalSignature } from './jws.js';
import { TokenError } from './errors.js';
import type { RemoteKeySet } from './jwks.js';

/** RFC 9068 §2.2 plus the claims AuthPlane adds (`client_id` is required there too, `scope`, `cnf`, `act`). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
  /** RFC 9449 §6.1: the thumbprint of the key the token is bound to. */
  cnf?: { jkt?: string; [member: string]: unknown };
  /** RFC 8693 §4.1: the acting party of a delegated token. */
  act?: Record<string, unknown>;
}

export interface VerifiedToken {
  /** The user (or, for client_credentials, the client) the token was issued for. */
  sub: string;
  clientId: string;
  scopes: string[];
  claims: AccessTokenClaims;
  /** The raw token, for calls made on the user's behalf (token exchange). */
  token: string;
  /** Unix seconds. */
  expiresAt: number;
  /** The DPoP key thumbprint when the token is DPoP-bound and its proof verified. */
  jkt?: string;
  /** True when the authorization server confirmed the token is active (introspection mode). */
  introspected: boolean;
}

/** RFC 9068 §4: required claims of a JWT access token; `client_id` identifies the caller for logs and policy. */
const REQUIRED_CLAIMS = {
  iss: 'string',
  sub: 'string',
  exp: 'number',
  iat: 'number',
  jti: 'string',
  client_id: 'string',
} as const;

export interface AccessTokenCheck {
  issuer: string;
  resource: string;
  keys: RemoteKeySet;
  algorithms: readonly string[];
  skewSec: number;
  now: () => number;
}

/** A resource identifier as compared: scheme and host lower-cased, default port dropped, one trailing slash removed. */
export function normalizeResource(uri: string): string {
  try {
    const url = new URL(uri);
    const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    return `${url.protocol}//${url.host}${path}${url.search}`;
  } catch {
    return uri.endsWith('/') ? uri.slice(0, -1) : uri;
  }
}

export function audienceIncludes(aud: unknown, resource: string): boolean {
  const wanted = normalizeResource(resource);
  const list = Array.isArray(aud) ? aud : [aud];
  return list.some((a) => typeof a === 'string' && normalizeResource(a) === wanted);
}

export function scopesOf(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
}

/** RFC 9068 §4: `typ` is `at+jwt`; RFC 7515 §4.1.9 lets it carry the `application/` prefix. */
function isAccessTokenTyp(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'at+jwt';
}

export async function verifyJwtAccessToken(token: string, check: AccessTokenCheck): Promise<VerifiedToken> {
  if (token.split('.').length !== 3) throw new TokenError('malformed_token', 'the access token is not a signed JWT');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw new TokenError('malformed_token', 'the access token header cannot be decoded', { cause });
  }
  if (!isAccessTokenTyp(header.typ)) throw new TokenError('typ', `token typ is ${JSON.stringify(header.typ)}, not at+jwt`);
  if (typeof header.alg !== 'string' || !check.algorithms.includes(header.alg)) {
    throw new TokenError('alg', `token alg ${JSON.stringify(header.alg)} is not accepted`);
  }
  if (!hasCanonicalSignature(token)) throw new TokenError('signature', 'the token signature is not canonical base64url');
  const key = await check.keys.key(header.kid, header.alg);
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, key, { algorithms: [header.alg] }));
  } catch (cause) {
    if (cause instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new TokenError('signature', 'the token signature does not verify', { cause });
    }
    throw new TokenError('malformed_token', 'the token cannot be verified', { cause });
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(payloadBytes)) as Record<string, unknown>;
  } catch (cause) {
    throw new TokenError('malformed_token', 'the token payload is not JSON', { cause });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TokenError('malformed_token', 'the token payload is not a JSON object');
  }
  for (const [name, type] of Object.entries(REQUIRED_CLAIMS)) {
    if (typeof claims[name] !== type) throw new TokenError('missing_claim', `the token has no ${type} ${name} claim`);
  }
  if (typeof claims.aud !== 'string' && !(Array.isArray(claims.aud) && claims.aud.length > 0)) {
    throw new TokenError('missing_claim', 'the token has no aud claim');
  }
  const verified = claims as AccessTokenClaims;
  checkClaims(verified, check);
  return {
    sub: verified.sub,
    clientId: verified.client_id,
    scopes: scopesOf(verified.scope),
    claims: verified,
    token,
    expiresAt: verified.exp,
    introspected: false,
  };
}

/** `iss` exact, `aud` containing the resource, and the times with the configured skew (RFC 7519 §4.1.4-6). */
export function checkClaims(claims: AccessTokenClaims, check: Pick<AccessTokenCheck, 'issuer' | 'resource' | 'skewSec' | 'now'>): void {
  if (claims.iss !== check.issuer) throw new TokenError('iss', `token issuer ${JSON.stringify(claims.iss)} is not ${check.issuer}`);
  if (!audienceIncludes(claims.aud, check.resource)) {
    throw new TokenError('aud', `token audience ${JSON.stringify(claims.aud)} does not include ${check.resource}`);
  }
  const now = Math.floor(check.now() / 1000);
  if (now >= claims.exp + check.skewSec) throw new TokenError('expired', 'the token has expired');
  if (typeof claims.nbf === 'number' && now + check.skewSec < claims.nbf) throw new TokenError('not_yet_valid', 'the token is not valid yet');
  if (now + check.skewSec < claims.iat) throw new TokenError('issued_in_future', 'the token was issued in the future');
}
