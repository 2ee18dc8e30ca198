/**
 * `POST /admin/keys/inspect`: the token debugging checklist in one answer. The token is decoded and checked against
 * this server's key ring and clock, one check at a time, each with the reason it failed — unlike verification on
 * the request path, which only says yes or no. Nothing is cached and nothing about the token is logged.
 */
import { verify } from 'node:crypto';
import type { KeyRing } from '../contracts.js';
import { badRequest } from '../errors.js';
import { decodeSignature } from '../keys/es256.js';
import type { TokenIssuer } from '../token/contracts.js';

/** `true` passed, `false` failed, `null` could not be decided (an earlier check failed, or nothing to compare). */
export interface InspectCheck {
  check: 'format' | 'kid' | 'alg' | 'signature' | 'iss' | 'aud' | 'exp' | 'nbf' | 'revoked';
  ok: boolean | null;
  detail: string;
}

export interface InspectResult {
  valid: boolean;
  header: Record<string, unknown> | null;
  payload: Record<string, unknown> | null;
  checks: InspectCheck[];
  /** The server's clock, RFC 3339: what exp and nbf were compared with. */
  now: string;
}

/** Longest token accepted: far above any access token we issue, small enough to refuse a pasted document. */
const MAX_TOKEN_LENGTH = 16_384;

function segmentJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Parses the request body: `token` (required) and `audience` (optional, the resource the token should be for). */
export function parseInspectBody(body: Record<string, unknown>): { token: string; audience?: string } {
  const unknown = Object.keys(body).filter((k) => k !== 'token' && k !== 'audience');
  if (unknown.length) throw badRequest(`${unknown[0]}: is not a known member (use token, audience)`, { errors: [{ field: unknown[0], message: 'is not a known member' }] });
  const token = typeof body.token === 'string' ? body.token.trim() : '';
  if (!token) throw badRequest('token: paste a JWT', { errors: [{ field: 'token', message: 'paste a JWT' }] });
  if (token.length > MAX_TOKEN_LENGTH) throw badRequest(`token: must be at most ${MAX_TOKEN_LENGTH} characters`, { errors: [{ field: 'token', message: `must be at most ${MAX_TOKEN_LENGTH} characters` }] });
  if (body.audience !== undefined && body.audience !== null && typeof body.audience !== 'string') {
    throw badRequest('audience: must be a string', { errors: [{ field: 'audience', message: 'must be a string' }] });
  }
  const audience = typeof body.audience === 'string' && body.audience.trim() ? body.audience.trim() : undefined;
  return audience ? { token, audience } : { token };
}

export async function inspectToken(
  input: { token: string; audience?: string },
  deps: { keys: KeyRing; tokens: TokenIssuer | undefined; issuer: string; now: number },
): Promise<InspectResult> {
  const checks: InspectCheck[] = [];
  const add = (check: InspectCheck['check'], ok: boolean | null, detail: string) => checks.push({ check, ok, detail });
  const nowSecs = Math.floor(deps.now / 1000);
  const result = (header: Record<string, unknown> | null, payload: Record<string, unknown> | null): InspectResult => ({
    valid: checks.every((c) => c.ok !== false) && checks.some((c) => c.check === 'signature' && c.ok === true),
    header,
    payload,
    checks,
    now: new Date(deps.now).toISOString(),
  });

  const parts = input.token.split('.');
  const header = parts.length === 3 ? segmentJson(parts[0]!) : undefined;
  const payload = parts.length === 3 ? segmentJson(parts[1]!) : undefined;
  if (parts.length !== 3 || !header || !payload) {
    const why = parts.length === 5 ? 'it has five parts: an encrypted JWT (JWE), which this server does not issue'
      : parts.length !== 3 ? `a signed JWT has three dot-separated parts, this has ${parts.length}`
      : !header ? 'the header is not base64url-encoded JSON' : 'the payload is not base64url-encoded JSON';
    add('format', false, why);
    return result(header ?? null, payload ?? null);
  }
  add('format', true, `a signed JWT${header.typ ? ` of type ${String(header.typ)}` : ''}`);

  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const key = kid ? deps.keys.publicKey(kid) : undefined;
  const kids = deps.keys.list().map((k) => k.kid);
  if (!kid) add('kid', false, 'the header has no kid, so no key of this server can be chosen');
  else if (!key) add('kid', false, `kid ${kid} is not in this server's key ring (it has ${kids.join(', ') || 'none'}): signed by another issuer, or by a key that is no longer published`);
  else add('kid', true, `kid ${kid} is ${kid === deps.keys.currentKid ? "this server's current signing key" : 'a published, older key of this server'}`);

  const alg = header.alg;
  if (alg === 'ES256') add('alg', true, 'ES256, the algorithm this server signs with');
  else add('alg', false, `alg ${JSON.stringify(alg ?? null)}: this server signs and accepts only ES256${alg === 'none' ? ' (an unsigned token is never accepted)' : ''}`);

  if (!key || alg !== 'ES256') {
    add('signature', null, 'not checked: no usable key or algorithm');
  } else {
    const signature = decodeSignature(parts[2]!);
    const ok = signature !== undefined && verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
    add('signature', ok, ok ? `valid for key ${kid}` : `does not verify with key ${kid}: the token was altered, or signed by another key with the same kid`);
  }

  if (payload.iss === deps.issuer) add('iss', true, `${deps.issuer}, this server`);
  else add('iss', false, `iss is ${JSON.stringify(payload.iss ?? null)}, not this server's issuer ${deps.issuer}`);

  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  if (!input.audience) add('aud', null, aud.length ? `not compared (no expected resource given); aud is ${aud.join(', ')}` : 'the token has no aud');
  else if (aud.includes(input.audience)) add('aud', true, `aud contains ${input.audience}`);
  else add('aud', false, aud.length ? `aud is ${aud.join(', ')}, which does not contain the expected resource ${input.audience}` : `the token has no aud, so it is not for ${input.audience}`);

  if (typeof payload.exp !== 'number') add('exp', false, 'the token has no numeric exp: it would never expire');
  else if (payload.exp <= nowSecs) add('exp', false, `expired at ${iso(payload.exp)}, ${nowSecs - payload.exp} s before the server's clock (${iso(nowSecs)})`);
  else add('exp', true, `expires at ${iso(payload.exp)}, in ${payload.exp - nowSecs} s`);

  if (payload.nbf === undefined) add('nbf', null, 'no nbf claim');
  else if (typeof payload.nbf !== 'number') add('nbf', false, 'nbf is not a number');
  else if (payload.nbf > nowSecs) add('nbf', false, `not valid before ${iso(payload.nbf)}, ${payload.nbf - nowSecs} s after the server's clock`);
  else add('nbf', true, `valid since ${iso(payload.nbf)}`);

  const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
  if (!jti || !deps.tokens) add('revoked', null, jti ? 'unknown: this server does not track tokens' : 'unknown: the token has no jti');
  else if (await deps.tokens.isRevoked(jti)) add('revoked', false, `jti ${jti} is revoked`);
  else if (await deps.tokens.issuance(jti)) add('revoked', true, `jti ${jti} was issued by this server and is not revoked`);
  else add('revoked', null, `jti ${jti} is not revoked, and this server has no issuance record of it (not ours, or purged)`);

  return result(header, payload);
}
