/**
 * The mechanism's records and interfaces: what the token endpoint, the key ring, storage and audit exchange with
 * plugins. Feature records (Resource, User, DCR settings, the client registry) live in their plugin's `types.ts`; a
 * plugin asks for another's service by name (`api.use('resources')`), typed by the `Services` interface below,
 * which each providing plugin extends through declaration merging (`declare module 'authplane' { … }`).
 */
import type { Knex } from 'knex';
import type { PurgeDeletion } from './storage/batched-delete.js';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import type { RequestInfo, FormParams } from './token/contracts.js';

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

// The token endpoint's records (request, grant, issuer, vended tokens): token/contracts.ts.
export * from './token/contracts.js';

/** A stored signing key. `privateJwk` never leaves the key store and the key ring. */
export interface StoredKey {
  kid: string;
  alg: 'ES256';
  privateJwk: JsonWebKey;
  createdAt: Date;
  /** Set when a newer key took over signing; the key stays published for `signing.retiredKeyRetention`. */
  retiredAt?: Date;
}

/**
 * A key whose private half stays in the key store (Vault Transit): the server has its public key, and the store's
 * `sign` makes each signature.
 */
export interface RemoteKey {
  kid: string;
  alg: 'ES256';
  publicJwk: JsonWebKey;
  createdAt: Date;
  retiredAt?: Date;
}

/** Where signing keys live (files, PostgreSQL, Vault…). Registered in the `keyStores` registry. */
export interface KeyStore {
  load(): Promise<(StoredKey | RemoteKey)[]>;
  /** Keeps a key the key ring generated (not called when the store has `create`). */
  save(key: StoredKey): Promise<void>;
  markRetired(kid: string, at: Date): Promise<void>;
  /**
   * Optional, for a store that makes its own keys and never gives their private half away (Vault Transit): creates
   * a key, which signs from then on. Without it the key ring generates a key with node:crypto and calls `save`.
   */
  create?(): Promise<RemoteKey>;
  /**
   * Optional, with `create`: the ES256 signature (raw r‖s, RFC 7518 §3.4) of `input` by key `kid`. Every token
   * signed by such a key costs one call to the store.
   */
  sign?(kid: string, input: Buffer): Promise<Buffer>;
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
  /** Messages between servers on one database, for a store whose changes other replicas must hear about. */
  readonly replicas: Replicas;
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
  /**
   * A compact JWS of `claims` by the current key: a string at once for a key held in memory (keyfile, postgres), a
   * promise for one whose store signs (Vault).
   */
  sign(header: Record<string, unknown>, claims: Record<string, unknown>): string | Promise<string>;
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

/** What a purge target is handed: the database, the run's clock and time limit, and the batched deleter. */
export interface PurgeContext {
  db: Knex;
  now: Date;
  signal: AbortSignal;
  /** `--older-than`, for a target with `retention`. */
  olderThanMs?: number;
  /** For a target's own `purge`: deletes what `deletion` selects in bounded batches, counted in the run's batches. */
  deleteInBatches(deletion: PurgeDeletion): Promise<number>;
}

/**
 * Rows whose time has passed, removed by `authserver purge`. A target says what to delete (`deletes`: table, key and
 * predicate, which should match an index) and the kernel deletes it in bounded batches that leave the event loop free
 * between them (kernel/storage/batched-delete.ts). A target whose rows need logic of their own implements `purge`
 * instead, and should delete through `ctx.deleteInBatches`.
 */
export interface PurgeTarget {
  description: string;
  /**
   * Set by a target that keeps rows for a retention period (audit events, issuance rows): `authserver purge
   * --older-than 90d` then hands it `olderThanMs`, which replaces the configured period for that run. Targets of
   * rows that expire by themselves do not set it, and the CLI refuses `--older-than` for them.
   */
  retention?: boolean;
  /** The deletions of one run, done in this order. */
  deletes?(ctx: Omit<PurgeContext, 'deleteInBatches'>): PurgeDeletion[];
  /** Escape hatch for a target that cannot be described by `deletes`: returns the rows it deleted. */
  purge?(ctx: PurgeContext): Promise<number>;
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
   * Optional: what a worker thread opens to run long reads off the event loop (`runtime.readRows`) — for a driver
   * whose queries are synchronous (SQLite). Without one (PostgreSQL, an in-memory database) such reads are awaited
   * on the pool.
   */
  offLoopDatabase?(config: Readonly<import('./config/types.js').KernelConfig>): import('./storage/off-loop-reads.js').WorkerDatabase | undefined;
  /**
   * Optional: one line saying why the database cannot be reached, opened or written, naming the setting (and its
   * environment variable) to fix — never a password; undefined when the error is not about reaching the database.
   */
  explainError?(error: unknown, config: Readonly<import('./config/types.js').KernelConfig>): string | undefined;
  /**
   * Optional: a channel between servers sharing this database (PostgreSQL LISTEN/NOTIFY). Without one (SQLite, a
   * database of one process) `runtime.replicas` is a no-op.
   */
  replicaChannel?(config: Readonly<import('./config/types.js').KernelConfig>, db: Knex, log: import('pino').Logger): ReplicaChannel;
}

/** A driver's connection between the servers on one database; the kernel's `Replicas` sits on top of it. */
export interface ReplicaChannel {
  /** Sends `message` (a short JSON text) to every server listening, this one included. */
  send(message: string): Promise<void>;
  /**
   * Listens until `close`: `onMessage` for every message, `onConnected` after each (re)connection — messages sent
   * while the connection was down are lost, so a listener re-reads what it caches. Resolves once the first attempt
   * to connect finished (whether or not it succeeded: it keeps retrying in the background).
   */
  listen(onMessage: (message: string) => void, onConnected: () => void): Promise<void>;
  close(): Promise<void>;
}

/**
 * Messages between the servers sharing a database (replicas behind a load balancer): a change one makes that the
 * others cache (a rotated key, a DCR mode, a client or resource edit) is announced on a topic, and each other
 * server's subscribers hear it within a second. On a database without a channel (SQLite) `shared` is false and
 * both calls do nothing. Delivery is best effort: a subscriber is also called with no payload after the channel
 * reconnects (messages may have been missed) and must then re-read everything it caches from the topic.
 */
export interface Replicas {
  /** Whether other servers can share the database (a driver with a channel). */
  readonly shared: boolean;
  /** Announces a change to the other servers (never to this one); a failure is logged, never thrown. */
  notify(topic: string, payload?: string): void;
  /** Calls `onMessage` for each announcement on `topic` by another server, and with undefined after a reconnect. */
  subscribe(topic: string, onMessage: (payload: string | undefined) => void): () => void;
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
