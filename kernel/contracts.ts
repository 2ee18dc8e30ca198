/**
 * The mechanism's records and interfaces: what the token endpoint, the key ring, storage and audit exchange with
 * plugins. Feature records (Resource, User, DCR settings, the client registry) live in their plugin's `types.ts`; a
 * plugin asks for another's service by name (`api.use('resources')`), typed by the `Services` interface below,
 * which each providing plugin extends through declaration merging (`declare module 'authplane' { … }`).
 */
import type { Knex } from 'knex';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | (string & {});

/** A client as every token-endpoint component sees it, whichever plugin resolved it. */
export interface Client {
  client_id: string;
  client_name?: string;
  redirect_uris: readonly string[];
  grant_types: readonly string[];
  response_types?: readonly string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** Space-separated scope ceiling; empty means none. */
  scope?: string;
  status: 'active' | 'suspended' | 'revoked';
  registration_source?: string;
  application_type?: 'web' | 'native';
  /** SHA-256 digest (hex) of the client secret; only for confidential clients. */
  secret_digest?: string;
  /** Anything else the resolving plugin wants to carry (agent flag, DPoP binding requirement…). */
  metadata?: Readonly<Record<string, unknown>>;
}

/** Credentials as presented at the token, introspection or revocation endpoint, before they are checked. */
export interface PresentedCredentials {
  method: TokenEndpointAuthMethod;
  clientId: string;
  /** The secret of `client_secret_basic` and `client_secret_post`, the methods the kernel reads itself. */
  clientSecret?: string;
  /** What another method's `present` read from the request (an assertion…), for its own `authenticate`. */
  presented?: Readonly<Record<string, unknown>>;
}

/** What a method's `present` found in a request that uses it. */
export interface ClientPresentation {
  /** The client the request claims to be (e.g. an assertion's `sub`, or `client_id`). */
  clientId: string;
  presented?: Readonly<Record<string, unknown>>;
}

/** One client-authentication method (RFC 6749 §2.3, RFC 7591 token_endpoint_auth_method). */
export interface ClientAuthenticator {
  /**
   * For a method the kernel does not read itself (it reads `none`, `client_secret_basic` and `client_secret_post`):
   * what this request presents with this method, or undefined when it does not use it. Throws an OAuthError
   * (`invalid_request`, `invalid_client`) for a malformed presentation. RFC 6749 §2.3: a request that more than one
   * method recognizes is refused; a `client_id` parameter must name the same client.
   */
  present?(request: RequestInfo, params: FormParams): ClientPresentation | undefined;
  /** true when the presented credentials prove the client; never throws for a wrong secret. */
  authenticate(client: Client, credentials: PresentedCredentials): Promise<boolean> | boolean;
}

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

/** A stored signing key. `privateJwk` never leaves the key store and the key ring. */
export interface StoredKey {
  kid: string;
  alg: 'ES256';
  privateJwk: JsonWebKey;
  createdAt: Date;
  /** Set when a newer key took over signing; the key stays published for `signing.retiredKeyRetention`. */
  retiredAt?: Date;
}

/** Where signing keys live (files, PostgreSQL, Vault…). Registered in the `keyStores` registry. */
export interface KeyStore {
  load(): Promise<StoredKey[]>;
  save(key: StoredKey): Promise<void>;
  markRetired(kid: string, at: Date): Promise<void>;
  /**
   * Optional: calls `onChange` soon after the stored keys changed (a rotation by the CLI or another replica), so a
   * running server switches at once; returns a function that stops watching. The key ring also re-reads every
   * store every `signing.reloadInterval`, the bound when a change goes unnoticed.
   */
  watch?(onChange: () => void): () => void;
  /**
   * Optional: where the keys are, for `/admin/system/status`, and whether every server that shares the database
   * also shares this store. A store that is not shared, on a database that is (PostgreSQL), is warned about at boot:
   * replicas would each sign with and publish their own keys.
   */
  describe?(): { shared: boolean; location?: string };
}

/** The key store in use, as `/admin/system/status` and `admin key rotate` report it. */
export interface KeyStoreStatus {
  name: string;
  /** undefined when the store does not say. */
  shared?: boolean;
  location?: string;
  /** Whether a change by another process reaches this server at once (else within `signing.reloadInterval`). */
  watched: boolean;
}

export interface KeyStoreContext {
  readonly config: Readonly<import('./config/types.js').KernelConfig>;
  readonly db: Knex;
}
export type KeyStoreFactory = (ctx: KeyStoreContext) => KeyStore | Promise<KeyStore>;

export interface PublicKeyInfo {
  kid: string;
  alg: string;
  createdAt: Date;
  retiredAt?: Date;
  /** When the key leaves the JWKS; absent for the current key. */
  publishedUntil?: Date;
  current: boolean;
}

/** The loaded keys: signs on the hot path with node:crypto and publishes the JWKS. */
export interface KeyRing {
  readonly currentKid: string;
  sign(header: Record<string, unknown>, claims: Record<string, unknown>): string;
  publicKey(kid: string): KeyObject | undefined;
  list(): PublicKeyInfo[];
  rotate(): Promise<PublicKeyInfo>;
  /** Re-reads the key store; true when the published set or the signing key changed. */
  reload(): Promise<boolean>;
  /** JWKS document, serialized once per key change. */
  jwks(): { body: Buffer; etag: string };
  /** Called with no argument whenever the published key set changes. */
  onChange(listener: () => void): void;
}

export interface AuditEvent {
  id: string;
  time: Date;
  action: string;
  actor_id?: string | null;
  user_id?: string | null;
  client_id?: string | null;
  ip?: string | null;
  trace_id?: string | null;
  request_id?: string | null;
  detail?: Record<string, unknown>;
}
export type AuditInput = Omit<AuditEvent, 'id' | 'time'> & { time?: Date };

export interface AuditBus {
  /** Queues the event; sinks receive it in a batch after the response, never on the request path. */
  emit(event: AuditInput): void;
  /** Resolves when every queued event has reached every sink. */
  flush(): Promise<void>;
  /**
   * A sink reports the events it could not store (`reason`: a short word such as `rejected` or `unavailable`):
   * each is logged at error level with its fields, so the event survives in the log, and counted in
   * `authserver_audit_events_dropped_total{reason}`.
   */
  dropped(events: readonly AuditEvent[], reason: string, error?: unknown): void;
}

/** Rows whose time has passed, removed by `authserver purge`. */
export interface PurgeTarget {
  description: string;
  purge(ctx: { db: Knex; now: Date; signal: AbortSignal }): Promise<number>;
}

/** A storage driver: turns the kernel's storage config into a knex config. */
export interface StorageDriver {
  /** 'sqlite' | 'postgres'; the SQL dialect helpers key off it. */
  dialect: 'sqlite' | 'postgres';
  knexConfig(config: Readonly<import('./config/types.js').KernelConfig>): Knex.Config | Promise<Knex.Config>;
  /**
   * Optional: a connection of its own for synchronous point reads that sees exactly the committed rows (SQLite in
   * WAL mode), opened once the database exists. The kernel reads the jti denylist through it on every
   * introspection; without one (PostgreSQL) such reads take a pooled connection.
   */
  reader?(config: Readonly<import('./config/types.js').KernelConfig>): SyncReader | undefined;
  /**
   * Optional: one line saying why the database cannot be reached, opened or written, naming the setting (and its
   * environment variable) to fix — never a password; undefined when the error is not about reaching the database.
   */
  explainError?(error: unknown, config: Readonly<import('./config/types.js').KernelConfig>): string | undefined;
}

export interface SyncReader {
  /** The first row `sql` returns for `params`, or undefined. */
  get(sql: string, params: readonly unknown[]): unknown;
  close(): void;
}

export interface DiscoveryService {
  /** Rebuilds the discovery document (e.g. after a resource's scopes changed). */
  invalidate(): void;
  document(): Readonly<Record<string, unknown>>;
}

/**
 * Services plugins provide to each other, empty here: the kernel provides none. Each providing plugin adds its own
 * (in its `types.ts`, or beside the service) by declaration merging,
 * `declare module 'authplane' { interface Services { mine: Mine } }`, so the kernel names no feature's records. The
 * kernel checks at boot that a plugin only uses services of plugins in its `dependsOn`.
 */
export interface Services {}
