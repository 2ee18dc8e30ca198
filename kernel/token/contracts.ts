/**
 * The token endpoint's records as plugins meet them: the request and its context, what a grant decides and returns,
 * the issuer's input and output, vended upstream tokens, issuance records and lineage. Part of the kernel's
 * contracts (`kernel/contracts.ts` re-exports them).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Client, PresentedCredentials } from '../contracts.js';

/** What every endpoint handler gets to know about the HTTP request, without touching koa. */
export interface RequestInfo {
  method: string;
  /** Absolute URL of the request as the client addressed it (issuer origin + path). */
  url: string;
  ip: string;
  headers: IncomingHttpHeaders;
  requestId: string;
}

/** A parsed `application/x-www-form-urlencoded` request: every parameter appears at most once (RFC 6749 §3.2). */
export type FormParams = Readonly<Record<string, string>>;

/** The state of one `POST /oauth/token` request as it flows through the hooks. */
export interface TokenContext {
  readonly request: RequestInfo;
  readonly params: FormParams;
  readonly grantType: string;
  readonly client: Client;
  readonly credentials: PresentedCredentials;
  /** Per-request scratch space for hooks (e.g. the DPoP thumbprint), so waterfalls stay synchronous. */
  readonly state: Record<string, unknown>;
  /** Headers a hook wants on the successful response (e.g. a fresh `DPoP-Nonce`, RFC 9449 §8.2). */
  readonly responseHeaders: Record<string, string>;
  /**
   * True once the grant answered with an upstream provider's token (GrantContext.vendUpstreamToken) rather than one
   * of ours. A `tokenResponse` tap leaves such a response's `access_token` and `token_type` alone: the provider
   * issued the token and named its type, so nothing of ours (a DPoP binding) applies to it.
   */
  readonly vended: boolean;
}

export interface TokenResponseBody {
  access_token: string;
  token_type: string;
  /** Absent only for a vended token whose provider did not say how long it lives. */
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
  issued_token_type?: string;
  [extra: string]: unknown;
}

/**
 * What a grant's `handle` gets: the token request (after client authentication and the `tokenRequest` and
 * `grantRequest` taps) and the one way to issue its access token. `requiredParams` narrow `params`: a grant
 * requiring `code` reads `ctx.params.code` as a `string`.
 */
export interface GrantContext<P extends string = never> extends TokenContext {
  readonly params: FormParams & { readonly [K in P]: string };
  /**
   * Issues this request's access token, once. Fills in the client, the grant type and the request's binding (a DPoP
   * proof checked by a `tokenRequest` tap becomes `cnf.jkt`); `ttl` defaults to the grant's `tokenTtl` and may only
   * shorten it. Resolves once the issuance row is durable.
   */
  issueAccessToken(input: GrantTokenInput): Promise<IssuedAccessToken>;
  /**
   * Answers this request with an access token an upstream provider issued (a broker vending a user's GitHub token),
   * instead of issuing one: once, and never together with `issueAccessToken`. The kernel writes the provider's
   * `token_type` as it is (a `tokenResponse` tap never makes it `DPoP`: `vended` on the context), `expires_in` only
   * when known; it writes no issuance row and runs no `accessTokenClaims` tap, since the token is not ours. The
   * returned VendedToken is what the grant answers as `accessToken`.
   */
  vendUpstreamToken(input: UpstreamTokenInput): VendedToken;
}

/** An upstream provider's access token a grant answers with (GrantContext.vendUpstreamToken). */
export interface UpstreamTokenInput {
  /** The access token as the provider issued it; never logged, audited or stored by the kernel. */
  token: string;
  /** The provider's `token_type` (`Bearer`, `bearer`…), written as it is. */
  tokenType: string;
  /** Seconds the token still lives, when the provider said; `expires_in` is left out otherwise. */
  expiresIn?: number;
  /** The upstream scopes the token carries (space-separated); the response's `scope` when not empty. */
  scope: string;
  /** Who the token is for: the resource it was vended for (the audit event's `audience`). */
  audience: readonly string[];
  /** The upstream provider's name (slug): the audit event's `provider` and the metric's label. */
  provider: string;
}

/**
 * What `vendUpstreamToken` returns, for the grant to answer as `accessToken`. Its `token` is not enumerable: a
 * VendedToken logged or serialized by mistake does not carry the upstream secret.
 */
export interface VendedToken {
  readonly kind: 'vended';
  readonly token: string;
  readonly tokenType: string;
  readonly expiresIn?: number;
  readonly scope: string;
  readonly audience: readonly string[];
  readonly provider: string;
}

/** What a grant decides about its access token; the kernel adds the rest (GrantContext.issueAccessToken). */
export interface GrantTokenInput {
  subject: string;
  audience: readonly string[];
  scope: string;
  /** Seconds; at most the grant's `tokenTtl`, which is the default. */
  ttl?: number;
  /** Extra claims from the grant itself (e.g. `act`); `accessTokenClaims` taps may add more. */
  claims?: Record<string, unknown>;
  /** The token this one was derived from (refresh, token exchange), recorded on the issuance row. */
  parentJti?: string;
  /**
   * The grant this token rests on, an opaque reference of the issuing plugin's own (`consent:<id>`, `family:<id>`):
   * TokenIssuer.revokeLineage with it revokes this token and every token derived from it. A token with a
   * `parentJti` and no `grantRef` inherits its parent's, read from the parent's issuance row; a grant that already
   * read that row passes what it found (`null`: none), sparing the second read.
   */
  grantRef?: string | null;
}

/**
 * What a grant's `handle` returns. The kernel writes the response (`access_token`, `token_type: Bearer` — which
 * `tokenResponse` taps may change, e.g. to `DPoP` —, `expires_in`, `scope`, `refresh_token`, then `extra`), emits
 * the audit event and counts `authserver_tokens_issued_total` — or, for a vended token, writes the provider's
 * `token_type` and counts `authserver_tokens_vended_total`.
 */
export interface GrantResult {
  /**
   * What `ctx.issueAccessToken` or `ctx.vendUpstreamToken` returned for this request; anything else is a server
   * error, never a response.
   */
  accessToken: IssuedAccessToken | VendedToken;
  /** Our refresh token. Never with a vended token: an upstream refresh token stays with the plugin that holds it. */
  refreshToken?: string;
  /** Further response members (e.g. `issued_token_type`); they cannot replace the members the kernel writes. */
  extra?: Record<string, unknown>;
  /**
   * The audit event: `action` defaults to `token_issued` (`upstream_token_issued` for a vended token); `detail` is
   * added to the kernel's `grant_type`, `jti`, `audience` and `scope` (for a vended token `provider` and
   * `token_type` instead of `jti`, and a detail holding the token itself is refused). `actor_id`, `client_id`, `ip`
   * and `request_id` come from the request.
   */
  audit?: { action?: string; userId?: string; detail?: Record<string, unknown> };
}

/** One grant type handler, composed into the kernel's `/oauth/token` dispatcher. Write it with `defineGrant`. */
export interface GrantHandler<P extends string = string> {
  /** Parameters that must be present; a missing one is `invalid_request` before the handler runs. */
  readonly requiredParams?: readonly P[];
  /** Public clients (auth method `none`) may use this grant; default true. */
  readonly allowPublicClients?: boolean;
  /**
   * Lifetime of its access tokens in seconds, the most `ctx.issueAccessToken` may give. Boot refuses a value above
   * `signing.retiredKeyRetention` (AP_ERR_GRANT_TTL_TOO_LONG): a token must not outlive its key in the JWKS.
   */
  readonly tokenTtl: number;
  handle(ctx: GrantContext<P>): Promise<GrantResult>;
}

export type JwtClaims = Record<string, unknown> & {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nbf?: number;
  jti?: string;
  client_id?: string;
  scope?: string;
};

/** What the kernel's issuer signs: a grant's GrantTokenInput completed from its token request. */
export interface IssueAccessTokenInput {
  subject: string;
  clientId: string;
  audience: readonly string[];
  scope: string;
  /** Lifetime in seconds. */
  ttl: number;
  grantType: string;
  /** Extra claims from the grant itself (e.g. `act` computed earlier); hooks may add more. */
  claims?: Record<string, unknown>;
  /** The token request it answers; claim hooks read their per-request state from it (e.g. the DPoP thumbprint). */
  tokenContext: TokenContext;
  /** The token this one was derived from (refresh, token exchange), recorded on the issuance row. */
  parentJti?: string;
  /** The grant it rests on (GrantTokenInput.grantRef); inherited from the parent's row when absent, none when null. */
  grantRef?: string | null;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  kid: string;
  claims: JwtClaims;
  issuedAt: number;
  expiresAt: number;
}

export interface IssueContext {
  readonly input: IssueAccessTokenInput;
}

/**
 * The kernel's access tokens as plugins use them: verification and revocation. Issuing is not here: an access token
 * is issued only by a grant, through its `GrantContext.issueAccessToken`, so none escapes its request's binding.
 */
export interface TokenIssuer {
  /** Claims of one of our own access tokens if its signature, issuer and lifetime check out; never throws. */
  verifyAccessToken(token: string): JwtClaims | undefined;
  /** Denylists a jti until `expiresAt` (seconds) and marks its issuance revoked; true if it was not already. */
  revokeJti(jti: string, expiresAt: number, reason: string): Promise<boolean>;
  isRevoked(jti: string): Promise<boolean>;
  /**
   * Cascading revocation: denylists every unexpired token resting on `grantRef` (GrantTokenInput.grantRef), or
   * derived from the token `derivedFrom` (not that token itself: revokeJti), and, transitively through their
   * `parent_jti`, every token derived from those. Resolves with how many tokens it newly denylisted.
   */
  revokeLineage(root: LineageRoot, reason: string): Promise<number>;
  /** The issuance row of one of our access tokens (any state: expired and revoked rows until purged), by jti. */
  issuance(jti: string): Promise<IssuanceRecord | undefined>;
}

/** What the kernel recorded when it issued an access token: who for, how, and what it derives from. */
export interface IssuanceRecord {
  jti: string;
  subject: string;
  clientId: string;
  audience: string[];
  grantType: string;
  /** The token it was derived from (refresh, token exchange). */
  parentJti: string | null;
  /** The grant it rests on (GrantTokenInput.grantRef). */
  grantRef: string | null;
}

/** Where a cascading revocation starts: a grant's reference, or a token whose derivatives are to be revoked. */
export type LineageRoot = { grantRef: string } | { derivedFrom: string };
