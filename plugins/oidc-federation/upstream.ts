/**
 * One upstream OpenID provider as openid-client sees it: its discovery document (read and checked at start), the
 * authorization URL of a login, and the code exchange with the ID token's checks (issuer, audience, nonce,
 * signature, expiry). A `Configuration` is made per exchange so the ID token's times are checked against the
 * server's clock (`runtime.now()`, which tests move); the JWKS cache is carried from one to the next.
 */
import { OutboundRequestError } from 'authplane';
import {
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  ClientSecretBasic,
  ClientSecretPost,
  clockSkew,
  clockTolerance,
  Configuration,
  customFetch,
  discovery,
  enableNonRepudiationChecks,
  getJwksCache,
  None,
  setJwksCache,
  type ClientAuth,
  type IDToken,
  type ServerMetadata,
} from 'openid-client';
import type { UpstreamProviderOptions } from './schema.js';
import { upstreamFetch, type OutboundSettings } from './upstream-fetch.js';

type JwksCache = NonNullable<ReturnType<typeof getJwksCache>>;

export interface UpstreamDependencies {
  outbound: OutboundSettings;
  environmentVariable: (name: string) => string | undefined;
  now: () => number;
  clockTolerance: number;
  /** Told after each ID token check whether the signing keys came from the cache or were fetched. */
  jwks: (provider: string, outcome: 'hit' | 'miss') => void;
}

/** Why a login through the upstream failed: `reason` is audited; `message` is for the log only. */
export class ExchangeFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options: ErrorOptions = {},
  ) {
    super(message, options);
  }
}

const without = (url: URL) => `${url.origin}${url.pathname}`;

/** What `GET /admin/federation/providers` shows of one upstream: its discovery and its last JWKS fetch. */
export interface UpstreamStatus {
  discovery: 'pending' | 'ok' | 'failed';
  discovered_at: string | null;
  discovery_error: string | null;
  jwks_uri: string | null;
  last_jwks_fetch_at: string | null;
}

export class Upstream {
  #metadata: ServerMetadata | undefined;
  #jwksCache: JwksCache | undefined;
  #status: UpstreamStatus = { discovery: 'pending', discovered_at: null, discovery_error: null, jwks_uri: null, last_jwks_fetch_at: null };

  constructor(
    readonly options: Readonly<UpstreamProviderOptions>,
    private readonly deps: UpstreamDependencies,
  ) {}

  get ready(): boolean {
    return this.#metadata !== undefined;
  }

  get status(): Readonly<UpstreamStatus> {
    return this.#status;
  }

  #at(): string {
    return new Date(this.deps.now()).toISOString();
  }

  #insecure(): boolean {
    return new URL(this.options.issuer).protocol === 'http:';
  }

  #auth(): ClientAuth {
    const { clientSecretEnv, tokenEndpointAuthMethod } = this.options;
    if (!clientSecretEnv) return None();
    const secret = this.deps.environmentVariable(clientSecretEnv);
    if (!secret) throw new ExchangeFailure('misconfigured', `the variable ${clientSecretEnv} holding the client secret is not set`);
    return tokenEndpointAuthMethod === 'client_secret_post' ? ClientSecretPost(secret) : ClientSecretBasic(secret);
  }

  /**
   * Reads and checks the discovery document. Throws an Error whose message says what failed (for the boot line).
   * openid-client checks that its `issuer` is the configured one exactly.
   */
  async discover(): Promise<void> {
    try {
      await this.#discover();
      this.#status = { ...this.#status, discovery: 'ok', discovered_at: this.#at(), discovery_error: null, jwks_uri: this.#metadata!.jwks_uri ?? null };
    } catch (err) {
      this.#status = { ...this.#status, discovery: 'failed', discovery_error: (err as Error).message };
      throw err;
    }
  }

  async #discover(): Promise<void> {
    const issuer = new URL(this.options.issuer);
    const wellKnown = `${issuer.origin}${issuer.pathname.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const fetch = upstreamFetch(this.deps.outbound, (url) => without(url) === wellKnown);
    let config: Configuration;
    try {
      config = await discovery(issuer, this.options.clientId, undefined, None(), {
        [customFetch]: fetch,
        timeout: Math.ceil(this.deps.outbound.timeoutMs / 1000),
        ...(this.#insecure() ? { execute: [allowInsecureRequests] } : {}),
      });
    } catch (err) {
      throw new Error(`discovery at ${wellKnown} failed: ${describe(err)}`, { cause: err });
    }
    const metadata = config.serverMetadata();
    const missing = (['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const).filter((name) => typeof metadata[name] !== 'string');
    if (missing.length) throw new Error(`the discovery document names no ${missing.join(', ')}`);
    if (Array.isArray(metadata.response_types_supported) && !metadata.response_types_supported.includes('code')) {
      throw new Error('the discovery document does not support the `code` response type');
    }
    // Absent means unknown (Entra ID does not list it); listed without S256 means PKCE would be refused.
    const pkce = metadata.code_challenge_methods_supported;
    if (Array.isArray(pkce) && !pkce.includes('S256')) throw new Error('the discovery document does not support S256 PKCE');
    this.#metadata = structuredClone(metadata);
  }

  /** The configuration of one call: this moment's clock, the secret as it is now, the JWKS cache so far. */
  #configuration(onCall: (url: URL) => void): Configuration {
    const metadata = this.#metadata!;
    const config = new Configuration(
      metadata,
      this.options.clientId,
      {
        // openid-client reads Date.now(); the skew moves it to the server's clock.
        [clockSkew]: Math.round((this.deps.now() - Date.now()) / 1000),
        [clockTolerance]: this.deps.clockTolerance,
      },
      this.#auth(),
    );
    const endpoints = new Set([metadata.token_endpoint, metadata.jwks_uri].filter((u): u is string => typeof u === 'string').map((u) => without(new URL(u))));
    config[customFetch] = upstreamFetch(this.deps.outbound, (url) => endpoints.has(without(url)), onCall);
    config.timeout = Math.ceil(this.deps.outbound.timeoutMs / 1000);
    if (this.#insecure()) allowInsecureRequests(config);
    // OpenID Connect Core §3.1.3.7 lets a client skip the signature of an ID token it got over TLS; this one checks
    // it against the provider's JWKS all the same (openid-client's non-repudiation checks).
    enableNonRepudiationChecks(config);
    if (this.#jwksCache) setJwksCache(config, this.#jwksCache);
    return config;
  }

  authorizationUrl(params: { redirectUri: string; state: string; nonce: string; codeChallenge: string }): URL {
    const scopes = new Set(['openid', ...(this.options.scopes ?? [])]);
    const config = new Configuration(this.#metadata!, this.options.clientId);
    if (this.#insecure()) allowInsecureRequests(config);
    return buildAuthorizationUrl(config, {
      ...(this.options.authorizationParams ?? {}),
      response_type: 'code',
      redirect_uri: params.redirectUri,
      scope: [...scopes].join(' '),
      state: params.state,
      nonce: params.nonce,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  /**
   * Redeems the code of the authorization response at `callbackUrl` and checks the ID token. Throws an
   * ExchangeFailure naming why.
   */
  async exchange(callbackUrl: URL, checks: { state: string; nonce: string; codeVerifier: string }): Promise<IDToken> {
    const jwksUri = this.#metadata!.jwks_uri!;
    let fetchedKeys = false;
    const config = this.#configuration((url) => {
      if (without(url) === without(new URL(jwksUri))) fetchedKeys = true;
    });
    let claims: IDToken | undefined;
    try {
      const tokens = await authorizationCodeGrant(config, callbackUrl, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (err) {
      throw classify(err);
    } finally {
      // Keys fetched during a failed check are still good keys.
      this.#jwksCache = getJwksCache(config) ?? this.#jwksCache;
      if (fetchedKeys) this.#status = { ...this.#status, last_jwks_fetch_at: this.#at() };
    }
    this.deps.jwks(this.options.id, fetchedKeys ? 'miss' : 'hit');
    if (!claims) throw new ExchangeFailure('invalid_id_token', 'the token response had no ID token');
    return claims;
  }
}

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let at = err; at !== undefined && at !== null && out.length < 8; at = (at as { cause?: unknown }).cause) out.push(at);
  return out;
}

/**
 * One line for the log and the boot error: the messages down the cause chain that say something new (openid-client
 * wraps a failed fetch as "something went wrong", and each layer may repeat the one below).
 */
export function describe(err: unknown): string {
  const kept: string[] = [];
  for (const e of chain(err)) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    if (!message || message === 'something went wrong' || kept.some((k) => k.includes(message))) continue;
    kept.push(message);
  }
  return kept.join(': ') || 'unknown error';
}

function classify(err: unknown): ExchangeFailure {
  const all = chain(err);
  const message = describe(err);
  const code = (all.find((e) => typeof (e as { code?: unknown }).code === 'string') as { code?: string } | undefined)?.code;
  const name = (err as { name?: string }).name;
  let reason = 'exchange_failed';
  if (all.some((e) => e instanceof OutboundRequestError)) reason = 'upstream_unreachable';
  else if (name === 'ResponseBodyError') reason = 'token_request_refused';
  else if (name === 'AuthorizationResponseError') reason = 'upstream_error';
  else if (/"state"/.test(message)) reason = 'invalid_state';
  else if (/"nonce"/.test(message)) reason = 'nonce_mismatch';
  else if (code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') reason = 'id_token_expired';
  else if (/ID Token|JWT|JWS|signature|"iss"|"aud"/i.test(message)) reason = 'invalid_id_token';
  return new ExchangeFailure(reason, message, { cause: err });
}
