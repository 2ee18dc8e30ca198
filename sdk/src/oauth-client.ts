/**
 * OAuth client calls an MCP server makes to AuthPlane: client credentials (RFC 6749 §4.4), token exchange
 * (RFC 8693, to call another resource on the user's behalf), refresh (§6), introspection (RFC 7662) and revocation
 * (RFC 7009), authenticated with a secret or a signed assertion (`private_key_jwt`, RFC 7523 §2.2). Endpoints come
 * from the authorization server metadata. `getToken` keeps client-credentials tokens and fetches the next one before
 * the current one expires. Errors are thrown as `OAuthClientError`, or as `ConsentRequiredError` when the broker
 * needs the user to grant something first.
 */
import { ConsentRequiredError } from './consent.js';
import { clientAssertion, CLIENT_ASSERTION_TYPE, type SigningKey } from './client-assertion.js';
import { TokenCache, type CachedTokenRequest } from './token-cache.js';
import { createDiscovery, FETCH_TIMEOUT_MS, type AuthorizationServerMetadata, type FetchLike } from './discovery.js';
import { AuthorizationServerError, OAuthClientError } from './errors.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface OAuthClientOptions {
  /** The AuthPlane issuer, exactly as in its metadata (e.g. `https://auth.example.com`). */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** `private_key_jwt`: the client's private key (a private JWK, a CryptoKey or a node KeyObject). */
  privateKey?: SigningKey;
  /** `private_key_jwt`: the assertion's `alg` (default: the JWK's `alg`, else derived from the key type). */
  signingAlg?: string;
  /** `private_key_jwt`: the assertion's `kid` (default: the JWK's `kid`). */
  keyId?: string;
  /** Default: `private_key_jwt` with a private key, `client_secret_basic` with a secret, `none` without either. */
  authMethod?: ClientAuthMethod;
  fetch?: FetchLike;
  /** How long the metadata is cached, in ms (default 5 minutes). */
  metadataTtlMs?: number;
  /** `getToken` fetches a new token this long before the cached one expires, in seconds (default 60; at most half its lifetime). */
  refreshBeforeExpirySec?: number;
  /** The clock, in ms since the epoch (token expiry, assertion `iat`/`exp`). */
  now?: () => number;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  refresh_token?: string;
  /** RFC 8693 §2.2.1. */
  issued_token_type?: string;
  [member: string]: unknown;
}

/** RFC 7662 §2.2. */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  token_type?: string;
  cnf?: { jkt?: string; [member: string]: unknown };
  act?: Record<string, unknown>;
  [member: string]: unknown;
}

/** RFC 8693 §3 token type identifiers. */
export const TOKEN_TYPE = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
} as const;

/** RFC 8693 §2.1. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export interface TokenExchangeRequest {
  subjectToken: string;
  /** Default: an access token. */
  subjectTokenType?: string;
  /** The party acting on the subject's behalf (the MCP server's own token), recorded in the new token's `act`. */
  actorToken?: string;
  actorTokenType?: string;
  /** RFC 8707 resource(s) the new token is for. */
  resource?: string | string[];
  audience?: string | string[];
  scope?: string | string[];
  requestedTokenType?: string;
}

export interface OAuthClient {
  metadata(): Promise<AuthorizationServerMetadata>;
  clientCredentials(request?: { scope?: string | string[]; resource?: string | string[] }): Promise<TokenResponse>;
  /**
   * A client-credentials access token for `scope` and `resource`, from the cache while it has more than
   * `refreshBeforeExpirySec` left; otherwise a new one (with the cached refresh token when the server gave one,
   * else client credentials again). Concurrent callers share one request.
   */
  getToken(request?: CachedTokenRequest): Promise<string>;
  /** Drops the cached token(s): for `request`, or all (after a resource refused a token as revoked). */
  invalidate(request?: CachedTokenRequest): void;
  /** RFC 6749 §6: a refresh token for a new access token (and, with rotation, a new refresh token). */
  refresh(refreshToken: string, request?: { scope?: string | string[]; resource?: string | string[] }): Promise<TokenResponse>;
  tokenExchange(request: TokenExchangeRequest): Promise<TokenResponse>;
  introspect(token: string, options?: { tokenTypeHint?: 'access_token' | 'refresh_token' }): Promise<IntrospectionResponse>;
  revoke(token: string, options?: { tokenTypeHint?: 'access_token' | 'refresh_token' }): Promise<void>;
}

/** RFC 6749 §2.3.1 / Appendix B: client_id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicCredentials(id: string, secret: string): string {
  const form = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${btoa(`${form(id)}:${form(secret)}`)}`;
}

const joinList = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(' ') : value);

export function createOAuthClient(options: OAuthClientOptions): OAuthClient {
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const method: ClientAuthMethod = options.authMethod ?? (options.privateKey ? 'private_key_jwt' : options.clientSecret ? 'client_secret_basic' : 'none');
  if (method === 'private_key_jwt' && !options.privateKey) throw new TypeError('private_key_jwt needs a privateKey');
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && !options.clientSecret) throw new TypeError(`${method} needs a clientSecret`);
  const discovery = createDiscovery({ issuer: options.issuer, fetch: fetchImpl, ttlMs: options.metadataTtlMs ?? 300_000, now });

  const endpoint = async (name: 'token_endpoint' | 'introspection_endpoint' | 'revocation_endpoint') => {
    const url = (await discovery.get())[name];
    if (typeof url !== 'string') throw new AuthorizationServerError(`the authorization server metadata has no ${name}`);
    return url;
  };

  const post = async (url: string, params: URLSearchParams): Promise<Response> => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (method === 'client_secret_basic') headers.authorization = basicCredentials(options.clientId, options.clientSecret!);
    else params.set('client_id', options.clientId);
    if (method === 'client_secret_post') params.set('client_secret', options.clientSecret!);
    if (method === 'private_key_jwt') {
      params.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      params.set('client_assertion', await clientAssertion({ clientId: options.clientId, audience: options.issuer, key: options.privateKey!, alg: options.signingAlg, kid: options.keyId, now }));
    }
    let response: Response;
    try {
      response = await fetchImpl(url, { method: 'POST', headers, body: params, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (cause) {
      throw new AuthorizationServerError(`POST ${url} failed`, { cause });
    }
    if (response.ok) return response;
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      body = { error: `http_${response.status}`, error_description: text.slice(0, 200) };
    }
    throw ConsentRequiredError.fromProblem(body) ?? new OAuthClientError(response.status, body);
  };

  const tokenRequest = async (params: URLSearchParams): Promise<TokenResponse> => {
    const response = await post(await endpoint('token_endpoint'), params);
    const body = (await response.json()) as TokenResponse;
    if (typeof body.access_token !== 'string') throw new OAuthClientError(response.status, { error: 'invalid_response', ...body });
    return body;
  };

  const params = (entries: Record<string, string | string[] | undefined>) => {
    const out = new URLSearchParams();
    for (const [key, value] of Object.entries(entries)) {
      // RFC 8707 §2 and RFC 8693 §2.1: `resource` and `audience` may repeat; everything else is single.
      if (Array.isArray(value)) for (const v of value) out.append(key, v);
      else if (value !== undefined) out.set(key, value);
    }
    return out;
  };

  const clientCredentials = (request: { scope?: string | string[]; resource?: string | string[] } = {}) =>
    tokenRequest(params({ grant_type: 'client_credentials', scope: joinList(request.scope), resource: request.resource }));
  const refresh = (refreshToken: string, request: { scope?: string | string[]; resource?: string | string[] } = {}) =>
    tokenRequest(params({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: joinList(request.scope), resource: request.resource }));
  const cache = new TokenCache({
    now,
    refreshBeforeMs: (options.refreshBeforeExpirySec ?? 60) * 1000,
    fetchToken: (request) => clientCredentials(request),
    refreshToken: (refreshToken, request) => refresh(refreshToken, request),
  });

  return {
    metadata: () => discovery.get(),
    clientCredentials,
    refresh,
    getToken: (request = {}) => cache.get(request),
    invalidate: (request) => cache.invalidate(request),

    tokenExchange: (request) => {
      if (request.actorTokenType && !request.actorToken) throw new TypeError('actorTokenType without actorToken');
      return tokenRequest(
        params({
          grant_type: TOKEN_EXCHANGE_GRANT,
          subject_token: request.subjectToken,
          subject_token_type: request.subjectTokenType ?? TOKEN_TYPE.accessToken,
          actor_token: request.actorToken,
          // RFC 8693 §2.1: actor_token_type is REQUIRED when actor_token is present.
          actor_token_type: request.actorToken ? (request.actorTokenType ?? TOKEN_TYPE.accessToken) : undefined,
          resource: request.resource,
          audience: request.audience,
          scope: joinList(request.scope),
          requested_token_type: request.requestedTokenType,
        }),
      );
    },

    async introspect(token, opts = {}) {
      const response = await post(await endpoint('introspection_endpoint'), params({ token, token_type_hint: opts.tokenTypeHint }));
      const body = (await response.json()) as IntrospectionResponse;
      if (typeof body.active !== 'boolean') throw new AuthorizationServerError('the introspection response has no active member');
      return body;
    },

    async revoke(token, opts = {}) {
      const response = await post(await endpoint('revocation_endpoint'), params({ token, token_type_hint: opts.tokenTypeHint }));
      await response.body?.cancel();
    },
  };
}
