/**
 * `createVerifier({ issuer, resource })`: everything a resource server does with an incoming access token.
 * Local JWT validation against the cached JWKS by default; with `introspect`, AuthPlane is asked as well
 * (RFC 7662), so a revoked token is refused at once — for the routes where that matters. DPoP-bound tokens
 * (`cnf.jkt`) must come with a valid proof. Every verification logs one `verified` line.
 */
import { verifyJwtAccessToken, type VerifiedToken } from './access-token.js';
import { createDiscovery, type FetchLike } from './discovery.js';
import { verifyDpopProof } from './dpop.js';
import { AuthorizationServerError, TokenError } from './errors.js';
import { ASYMMETRIC_ALGS, RemoteKeySet } from './jwks.js';
import { resolveLogger, type SdkLogger } from './log.js';
import { createOAuthClient, type ClientAuthMethod } from './oauth-client.js';
import { MemoryReplayCache, type ReplayStore } from './replay-cache.js';

export interface VerifierOptions {
  /** The AuthPlane issuer, compared exactly with `iss` and the metadata's `issuer`. */
  issuer: string;
  /** This server's resource identifier; tokens must list it in `aud` (a trailing slash is tolerated). */
  resource: string;
  /** Accepted JWS algorithms (asymmetric only; default every asymmetric one jose knows). */
  algorithms?: readonly string[];
  /** Clock skew allowed on `exp`, `nbf`, `iat` and DPoP `iat`, in seconds (default 30). */
  clockSkewSec?: number;
  /** How long metadata and JWKS are cached, in ms (default 5 minutes). */
  cacheTtlMs?: number;
  /** The least time between two JWKS fetches caused by an unknown `kid`, in ms (default 10 s). */
  jwksRefetchFloorMs?: number;
  /** Introspection credentials: a confidential client listed in the resource's `policy.runtime.client_ids`. */
  introspection?: { clientId: string; clientSecret: string; authMethod?: ClientAuthMethod; always?: boolean };
  dpop?: {
    /** How old a proof may be, in seconds (default 60, as AuthPlane's own `dpop.proofLifetime`). */
    maxAgeSec?: number;
    algorithms?: readonly string[];
    /** Where seen proof `jti`s are kept (default: in memory, this process only). */
    replayStore?: ReplayStore;
  };
  /** The origin clients reach this server at, for DPoP `htu` (default: the resource's origin). */
  publicUrl?: string;
  /** `false` for silence; default: JSON lines on stderr. */
  logger?: SdkLogger | false;
  fetch?: FetchLike;
  /** The clock, in ms since the epoch (tests, or a trusted time source). */
  now?: () => number;
}

/** Any request shape with a method, a URL and headers: node's IncomingMessage, a fetch Request, express, … */
export interface RequestLike {
  method?: string;
  /** A path with query (node) or an absolute URL (fetch). */
  url?: string;
  headers: Headers | Record<string, string | string[] | undefined>;
}

export interface VerifyOptions {
  /** Ask AuthPlane whether the token is still active (needs `introspection` credentials). */
  introspect?: boolean;
  /** Scopes the call needs; missing ones → 403 `insufficient_scope`. */
  requiredScopes?: readonly string[];
}

export interface TokenCallOptions extends VerifyOptions {
  /** How the token was presented (`Authorization: Bearer` or `DPoP`); undefined when unknown. */
  scheme?: 'Bearer' | 'DPoP';
  /** The DPoP proof and the request it was made for; required for a DPoP-bound token. */
  dpop?: { proof: string | undefined; method: string; url: string };
}

export interface Verifier {
  readonly issuer: string;
  readonly resource: string;
  /** Algorithms accepted for DPoP proofs (for `algs` in DPoP challenges). */
  readonly dpopAlgorithms: readonly string[];
  /** Verifies a token taken from a request by the caller. */
  verify(token: string, options?: TokenCallOptions): Promise<VerifiedToken>;
  /** Reads `Authorization` (and `DPoP`) from a request and verifies them. */
  verifyRequest(request: RequestLike, options?: VerifyOptions): Promise<VerifiedToken>;
  /** How many times the JWKS was fetched. */
  readonly jwksFetchCount: number;
}

export const DEFAULT_SKEW_SEC = 30;
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
export const DEFAULT_REFETCH_FLOOR_MS = 10_000;
/** RFC 9449 §11.1: proofs are short-lived; 60 s matches AuthPlane's default proof lifetime. */
export const DEFAULT_DPOP_MAX_AGE_SEC = 60;

export function header(headers: RequestLike['headers'], name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** RFC 6750 §2.1 and RFC 9449 §7.1: `Authorization: Bearer <token>` or `DPoP <token>` (scheme case-insensitive). */
export function parseAuthorization(value: string | undefined): { scheme: 'Bearer' | 'DPoP'; token: string } {
  if (!value) throw new TokenError('missing_token', 'an access token is required');
  const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(value);
  if (!match) throw new TokenError('malformed_header', 'the Authorization header is not Bearer or DPoP with a token', { code: 'invalid_request' });
  return { scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2]! };
}

export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? fetch;
  const ttlMs = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const skewSec = options.clockSkewSec ?? DEFAULT_SKEW_SEC;
  const algorithms = options.algorithms ?? ASYMMETRIC_ALGS;
  const refused = algorithms.filter((a) => !ASYMMETRIC_ALGS.includes(a));
  if (refused.length) throw new TypeError(`not asymmetric JWS algorithms: ${refused.join(', ')}`);
  const dpopAlgorithms = options.dpop?.algorithms ?? ['ES256', 'RS256', 'PS256', 'EdDSA'];
  const dpopMaxAgeSec = options.dpop?.maxAgeSec ?? DEFAULT_DPOP_MAX_AGE_SEC;
  const replay = options.dpop?.replayStore ?? new MemoryReplayCache({ now });
  const publicOrigin = new URL(options.publicUrl ?? options.resource).origin;
  const log = resolveLogger(options.logger);
  const discovery = createDiscovery({ issuer: options.issuer, fetch: fetchImpl, ttlMs, now });
  const keys = new RemoteKeySet({
    jwksUri: async () => (await discovery.get()).jwks_uri,
    fetch: fetchImpl,
    ttlMs,
    refetchFloorMs: options.jwksRefetchFloorMs ?? DEFAULT_REFETCH_FLOOR_MS,
    now,
  });
  const introspector = options.introspection
    ? createOAuthClient({ issuer: options.issuer, fetch: fetchImpl, metadataTtlMs: ttlMs, ...options.introspection })
    : undefined;

  async function check(token: string, call: TokenCallOptions): Promise<VerifiedToken> {
    const verified = await verifyJwtAccessToken(token, { issuer: options.issuer, resource: options.resource, keys, algorithms, skewSec, now });
    const boundTo = verified.claims.cnf?.jkt;
    if (boundTo) {
      // RFC 9449 §7.2: a bound token presented as a bearer token must be refused, or binding would mean nothing.
      if (call.scheme === 'Bearer') throw new TokenError('dpop_bound_token_as_bearer', 'a DPoP-bound token needs the DPoP scheme', { scheme: 'DPoP' });
      const proof = call.dpop ?? { proof: undefined, method: '', url: '' };
      const { jkt } = await verifyDpopProof(Object.assign({}, proof, { accessToken: token, jkt: boundTo, algorithms: dpopAlgorithms, maxAgeSec: dpopMaxAgeSec, skewSec, now, replay }));
      verified.jkt = jkt;
    } else if (call.scheme === 'DPoP') {
      throw new TokenError('dpop_unbound_token', 'the token is not DPoP-bound; use the Bearer scheme', { scheme: 'DPoP' });
    }
    if (call.introspect ?? options.introspection?.always) {
      if (!introspector) throw new TypeError('introspection needs the introspection option (client credentials)');
      const info = await introspector.introspect(token, { tokenTypeHint: 'access_token' });
      if (!info.active) throw new TokenError('inactive', 'the token is not active');
      verified.introspected = true;
    }
    const missing = (call.requiredScopes ?? []).filter((s) => !verified.scopes.includes(s));
    if (missing.length) {
      // The challenge asks for what the token has plus what is missing, so re-authorizing loses nothing.
      throw new TokenError('insufficient_scope', `this call needs the scope ${missing.join(' ')}`, {
        code: 'insufficient_scope',
        requiredScopes: [...new Set([...verified.scopes, ...(call.requiredScopes ?? [])])],
      });
    }
    return verified;
  }

  async function verify(token: string, call: TokenCallOptions = {}): Promise<VerifiedToken> {
    try {
      const verified = await check(token, call);
      const { claims } = verified;
      log.info({ ok: true, sub: verified.sub, client_id: verified.clientId, scope: claims.scope ?? '', aud: claims.aud, jti: claims.jti, dpop: Boolean(verified.jkt), introspected: verified.introspected }, 'verified');
      return verified;
    } catch (err) {
      if (err instanceof TokenError) {
        const failure = call.scheme === 'DPoP' ? err.withScheme('DPoP') : err;
        log.info({ ok: false, reason: failure.reason, error: failure.code, description: failure.message }, 'verified');
        throw failure;
      }
      if (err instanceof AuthorizationServerError) log.warn({ ok: false, reason: 'authorization_server', description: err.message }, 'verified');
      throw err;
    }
  }

  return {
    issuer: options.issuer,
    resource: options.resource,
    dpopAlgorithms,
    get jwksFetchCount() {
      return keys.fetchCount;
    },
    verify,
    async verifyRequest(request, opts = {}) {
      let presented: ReturnType<typeof parseAuthorization>;
      try {
        presented = parseAuthorization(header(request.headers, 'authorization'));
      } catch (err) {
        if (err instanceof TokenError) log.info({ ok: false, reason: err.reason, error: err.code, description: err.message }, 'verified');
        throw err;
      }
      const path = new URL(request.url ?? '/', publicOrigin);
      // Object.assign, not `{ ...opts, … }`: on Node 20 a literal opening with a spread costs a hidden class per call.
      return verify(
        presented.token,
        Object.assign({}, opts, {
          scheme: presented.scheme,
          dpop: { proof: header(request.headers, 'dpop'), method: request.method ?? 'GET', url: `${publicOrigin}${path.pathname}` },
        }),
      );
    },
  };
}
