import type { Context } from 'koa';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type {
  AuditBus,
  Client,
  DiscoveryService,
  FormParams,
  KeyRing,
  PresentedCredentials,
  Replicas,
  RequestInfo,
  Services,
  TokenIssuer,
} from '../contracts.js';
import type { KernelConfig } from '../config/types.js';
import type { HookCatalog, ListenerName, ReadableRegistries, RegistryCatalog } from '../hooks.js';
import type { OwnedRegistry } from './registry.js';
import type { Metrics } from '../observe/metrics.js';
import type { Migration } from '../storage/migrations.js';
import type { Dialect } from '../storage/dialect.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type RouteHandler = (ctx: Context) => Promise<void> | void;

export interface RouteOptions {
  /**
   * How errors thrown by the handler are written: OAuth JSON, RFC 9457 problem details or an HTML page.
   * Default: `oauth` under /oauth/ and /.well-known/ on the public listener, `problem` elsewhere.
   */
  errors?: 'oauth' | 'problem' | 'page';
  /** CORS from `server.allowedOrigins`; default on under /oauth/ and /.well-known/. */
  cors?: boolean;
  /** Admin routes under /admin/ require the admin API key unless this is false. */
  adminAuth?: boolean;
}

type TapOnlyHook<H> = H extends { tap: unknown }
  ? Pick<H, Extract<keyof H, 'tap' | 'tapAsync' | 'tapPromise'>>
  : H extends { for: (key: string) => infer Inner }
    ? { for(key: string): TapOnlyHook<Inner> }
    : never;

export type TapOnly<C> = { readonly [K in keyof C]: TapOnlyHook<C[K]> };

type CallOnlyHook<H> = H extends { tap: unknown }
  ? Pick<H, Extract<keyof H, 'call' | 'callAsync' | 'promise' | 'isUsed'>>
  : H extends { get: (key: string) => infer Inner }
    ? { get(key: string): CallOnlyHook<Exclude<Inner, undefined>> | undefined }
    : never;

/** The catalog as the runtime sees it: hooks can be called, never tapped (taps belong to register). */
export type CallOnly<C> = { readonly [K in keyof C]: CallOnlyHook<C[K]> };

export interface RegisterApi {
  /** This plugin's name, the tap name used for every hook it taps. */
  readonly name: string;
  readonly hooks: TapOnly<HookCatalog>;
  readonly registries: { readonly [K in keyof RegistryCatalog]: OwnedRegistry<Parameters<RegistryCatalog[K]['register']>[1]> };
  route(on: ListenerName, method: HttpMethod, path: string, handler: RouteHandler, options?: RouteOptions): void;
  /**
   * Headers this plugin's feature needs browser clients to send (`allow`) or read (`expose`) on the CORS-enabled
   * endpoints, beyond the kernel's own (DPoP adds `DPoP` and `DPoP-Nonce`). A name that is not an RFC 9110 token
   * stops boot.
   */
  corsHeaders(headers: { allow?: readonly string[]; expose?: readonly string[] }): void;
  provide<K extends keyof Services>(name: K, impl: Services[K]): void;
  /** A service of a plugin in `dependsOn`; resolved lazily, so it can be called in register and used later. */
  use<K extends keyof Services>(name: K): Services[K];
  migrations(list: readonly Migration[]): void;
  /**
   * The runtime view (database, keys, issuer, audit). Call it inside handlers and taps — it is complete once the
   * server booted — not during register itself.
   */
  runtime(): RuntimeApi;
  /** The variables the plugin declared in its definition's `env`, from the server's environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * A variable of the server's environment by a name only known at run time — one the config or an operator names,
   * such as the variable holding an upstream client secret — read when called, so a secret is never copied into
   * the plugin's options or records. Names known in advance belong in the definition's `env` instead.
   */
  environmentVariable(name: string): string | undefined;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly config: Readonly<KernelConfig>;
}

export interface RuntimeApi {
  readonly name: string;
  use<K extends keyof Services>(name: K): Services[K];
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly config: Readonly<KernelConfig>;
  readonly db: Knex;
  readonly dialect: Dialect;
  readonly keys: KeyRing;
  /** Announcements between the servers sharing the database (cache invalidation across replicas). */
  readonly replicas: Replicas;
  readonly audit: AuditBus;
  readonly tokens: TokenIssuer;
  readonly discovery: DiscoveryService;
  /**
   * A call-only view of the catalog, for the plugin that owns an endpoint to call its hooks (e.g. `authorizeRequest`
   * from the authorize endpoint, `introspectToken` from introspection). It has no `tap`: taps belong to register,
   * and the hooks themselves refuse a late tap with AP_ERR_HOOKS_FROZEN.
   */
  readonly hooks: CallOnly<HookCatalog>;
  /** The registries as they stand after register, read-only (the login page lists `identityProviders`). */
  readonly registries: ReadableRegistries;
  /**
   * The server's clock in milliseconds since the epoch (`CreateOptions.now`, else `Date.now`): what token lifetimes
   * are measured with. Read it for expiry and cache ages, so they move with the tokens.
   */
  now(): number;
  /**
   * The rows of a long read (a select that may scan many rows: an export, a report) without holding the event loop:
   * on SQLite it runs on a worker thread with a read-only connection of its own (kernel/storage/off-loop-reads.ts),
   * elsewhere it is awaited as usual. Takes a query builder or `knex.raw` select; returns the rows as the driver
   * does (no `first()`/`pluck()` post-processing). Fails with a 503 problem when too many are waiting.
   */
  readRows<T = Record<string, unknown>>(query: Knex.QueryBuilder | Knex.Raw): Promise<T[]>;

  /**
   * Aborted when the server starts stopping, before the listeners wait for requests in flight: a response that
   * never ends by itself (a server-sent event stream) ends on it, so it does not hold up the shutdown.
   */
  readonly stopping: AbortSignal;
  /** Any client_id through the `resolveClient` taps (database ids, CIMD URLs…). */
  resolveClient(clientId: string, request: RequestInfo): Promise<Client | undefined>;
  /** The kernel's client-authentication pipeline, as the token endpoint uses it. */
  authenticateClient(request: RequestInfo, params: FormParams): Promise<{ client: Client; credentials: PresentedCredentials }>;
}
