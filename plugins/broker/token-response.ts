/**
 * Reads an upstream token endpoint's answer into UpstreamTokens: RFC 6749 §5.1 JSON (§5.2 errors), and the ways
 * providers depart from it (`response_quirk`):
 * - `github`: errors come as 200 with `error`; the body is form-encoded unless JSON was asked for (we ask, but
 *   read both); `scope` is comma-separated; `token_type` is `bearer`.
 * - `slack` (OAuth v2, `oauth.v2.access`): errors come as 200 `{ok: false, error}`; the user's token is under
 *   `authed_user` with its own `scope`, `refresh_token` and `expires_in` (the top level is the bot's); a refresh of
 *   a user token may answer it at the top level with `token_type: user`.
 * Google needs no quirk: standard JSON, `refresh_token` only on a first consent with `access_type=offline` (a
 * refresh answer without one keeps the old one: upstream-client.ts).
 */
import type { OutboundResponse } from 'authplane';
import type { ResponseQuirk, UpstreamTokens } from './types.js';
import { UpstreamError } from './upstream-error.js';

export interface ReadContext {
  /** The provider's slug, for messages. */
  provider: string;
  quirk: ResponseQuirk;
  scopeSeparator: ' ' | ',';
  /** The server's clock (ms), which `expires_in` counts from. */
  now: number;
  /** RFC 6749 §5.1: `scope` may be left out when it is what was asked for (or, on refresh, what was granted). */
  fallbackScopes: readonly string[];
  /** Removes every secret the request carried from a text quoted out of the answer. */
  redact: (text: string) => string;
}

/** Upstream error codes meaning the user's grant (or the code standing for it) is gone, by quirk. */
const GRANT_GONE: Record<ResponseQuirk, readonly string[]> = {
  none: ['invalid_grant'],
  github: ['invalid_grant', 'bad_verification_code', 'bad_refresh_token'],
  slack: ['invalid_grant', 'invalid_code', 'code_already_used', 'code_expired', 'invalid_refresh_token', 'token_expired', 'token_revoked'],
};
/** Upstream error codes meaning the broker's own client credentials were refused. */
const CLIENT_REFUSED: Record<ResponseQuirk, readonly string[]> = {
  none: ['invalid_client', 'unauthorized_client'],
  github: ['invalid_client', 'incorrect_client_credentials'],
  slack: ['invalid_client', 'invalid_client_id', 'bad_client_secret'],
};

const QUOTED_MAX = 200;

function mediaType(headers: OutboundResponse['headers']): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** An upstream text fit to quote: secrets redacted, control characters dropped, bounded. */
function quote(text: unknown, ctx: ReadContext): string | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  const clean = ctx.redact(text).replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return clean.length > QUOTED_MAX ? `${clean.slice(0, QUOTED_MAX)}…` : clean;
}

/** An error code as RFC 6749 §5.2 allows it (%x20-21 / %x23-5B / %x5D-7E), else undefined. */
function errorCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,100}$/.test(value) ? value : undefined;
}

function decodeBody(response: OutboundResponse, ctx: ReadContext): Record<string, unknown> | undefined {
  const type = mediaType(response.headers);
  const text = response.body.toString('utf8');
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) {
    try {
      const body: unknown = JSON.parse(text);
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  if (ctx.quirk === 'github' && (type === 'application/x-www-form-urlencoded' || type === 'text/plain')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  return undefined;
}

function refusal(code: string, body: Record<string, unknown>, status: number, ctx: ReadContext): UpstreamError {
  const reason = GRANT_GONE[ctx.quirk].includes(code)
    ? 'invalid_grant'
    : CLIENT_REFUSED[ctx.quirk].includes(code) || status === 401
      ? 'invalid_client'
      : 'upstream_error';
  const description = quote(body.error_description, ctx);
  return new UpstreamError(reason, ctx.provider, `provider '${ctx.provider}' refused the token request: ${code}${description ? ` (${description})` : ''}`, {
    status,
    upstreamError: code,
  });
}

function splitScopes(scope: string, ctx: ReadContext): string[] {
  // RFC 6749 §3.3 separates with spaces (a scope token may itself contain a comma); GitHub and Slack with commas.
  const commas = ctx.quirk !== 'none' || ctx.scopeSeparator === ',';
  return scope.split(commas ? /[\s,]+/ : /\s+/).filter(Boolean);
}

/** The member holding the token for the user: Slack's `authed_user`, everyone else's top level. */
function userToken(body: Record<string, unknown>, ctx: ReadContext): Record<string, unknown> {
  if (ctx.quirk !== 'slack') return body;
  const authed = body.authed_user;
  if (typeof authed === 'object' && authed !== null && typeof (authed as Record<string, unknown>).access_token === 'string') {
    return authed as Record<string, unknown>;
  }
  if (body.token_type === 'user') return body;
  throw new UpstreamError('bad_response', ctx.provider, `provider '${ctx.provider}' answered no user token (authed_user); ask for user scopes`);
}

export function readTokenResponse(response: OutboundResponse, ctx: ReadContext): UpstreamTokens {
  const { status } = response;
  const body = decodeBody(response, ctx);
  const bad = (what: string) => new UpstreamError('bad_response', ctx.provider, `provider '${ctx.provider}' token endpoint ${what}`, { status });
  if (!body) {
    if (status !== 200) throw new UpstreamError('upstream_error', ctx.provider, `provider '${ctx.provider}' token endpoint answered ${status}`, { status });
    throw bad(`answered ${mediaType(response.headers) || 'an untyped body'}, not a JSON token response`);
  }
  // Slack answers every error as 200 {ok: false, error}; GitHub as 200 {error}; everyone else as 4xx {error}.
  const code = errorCode(body.error);
  if (body.error !== undefined || (ctx.quirk === 'slack' && body.ok === false)) {
    throw refusal(code ?? 'unknown_error', body, status, ctx);
  }
  if (status !== 200) throw new UpstreamError('upstream_error', ctx.provider, `provider '${ctx.provider}' token endpoint answered ${status}`, { status });

  const token = userToken(body, ctx);
  if (typeof token.access_token !== 'string' || token.access_token === '') throw bad('answered without an access_token');
  const tokens: UpstreamTokens = {
    access_token: token.access_token,
    token_type: tokenType(token.token_type, ctx),
    scopes: typeof token.scope === 'string' ? splitScopes(token.scope, ctx) : [...ctx.fallbackScopes],
  };
  if (typeof token.refresh_token === 'string' && token.refresh_token !== '') tokens.refresh_token = token.refresh_token;
  if (token.expires_in !== undefined && token.expires_in !== null && token.expires_in !== '') {
    // Form-encoded (GitHub) answers carry numbers as text.
    const seconds = Number(token.expires_in);
    if (!Number.isFinite(seconds) || seconds < 0) throw bad('answered an expires_in that is not a number of seconds');
    tokens.expires_at = ctx.now + Math.floor(seconds) * 1000;
  }
  return tokens;
}

/** RFC 6749 §7.1: the type is case-insensitive; Slack's user tokens (`user`) are used as bearer tokens. */
function tokenType(value: unknown, ctx: ReadContext): string {
  if (typeof value !== 'string' || value === '' || value.toLowerCase() === 'bearer') return 'Bearer';
  if (ctx.quirk === 'slack' && value === 'user') return 'Bearer';
  return value;
}
