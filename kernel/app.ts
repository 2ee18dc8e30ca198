import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import type { DestinationStream, Logger } from 'pino';
import { secretLeaves } from './config/env.js';
import { resolveConfig, type ResolvedConfig } from './config/resolve.js';
import type { AuthPlaneConfig, KernelConfig } from './config/types.js';
import type { KeyRing, KeyStore, KeyStoreStatus, TokenIssuer } from './contracts.js';
import { BootError } from './errors.js';
import { createHookCatalog, createRegistryCatalog, type HookCatalog, type RegistryCatalog } from './hooks.js';
import { buildHandler, Listener } from './http/listener.js';
import { RouteTable } from './http/routes.js';
import { registerSystemRoutes } from './http/system-routes.js';
import { SigningKeys } from './keys/signing-keys.js';
import { AuditQueue, MIN_INTERVAL_MS } from './observe/audit.js';
import { createLogger } from './observe/logger.js';
import { loadTracing } from './observe/tracing.js';
import { Metrics } from './observe/metrics.js';
import { RequestMetrics } from './observe/request-metrics.js';
import type { CallOnly, RuntimeApi } from './plugin/api.js';
import { buildRegisterApi, buildRuntimeApi, type ApiParts } from './plugin/api-builders.js';
import { assertCurrentContract, type PluginLifecycle } from './plugin/define.js';
import { callOnlyHooks, freezeHooks, type TapRecord } from './plugin/facades.js';
import { orderPlugins, runPhase } from './plugin/order.js';
import { ServiceDirectory } from './plugin/services.js';
import type { Dialect } from './storage/dialect.js';
import type { OffLoopReader } from './storage/off-loop-reads.js';
import type { ReplicaMessages } from './storage/replicas.js';
import { ServerStorage } from './storage/server-storage.js';
import { createClientAuthentication } from './token/client-auth.js';
import { checkGrantLifetimes } from './token/grant.js';
import { createTokenIssuer, type AccessTokenIssuer } from './token/issuer.js';
import { registerTokenPurgeTargets } from './token/purge-targets.js';
import { registerTokenRoute } from './token/route.js';
import { tokenIssuances0001 } from '../migrations/kernel/0001_token_issuances.js';
import { issuanceLineage0002 } from '../migrations/kernel/0002_issuance_lineage.js';
import { issuanceResource0003 } from '../migrations/kernel/0003_issuance_resource.js';
import { lineagePartialIndexes0004 } from '../migrations/kernel/0004_lineage_partial_indexes.js';
import { packageVersion } from './version.js';
import { Discovery } from './wellknown/discovery.js';
import { registerBuiltinCommands } from './cli/builtin.js';
import { registerWellKnownRoutes } from './wellknown/routes.js';

export interface CreateOptions {
  /** Environment for the AUTHPLANE_* layer; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where logs go; defaults to stdout. */
  logDestination?: DestinationStream;
  /** Bounds each plugin's init/start phase. */
  phaseTimeoutMs?: number;
  /** Overrides `log.level` (CLI commands other than serve log warnings only). */
  logLevel?: KernelConfig['log']['level'];
  /** Whether to print the warnings that concern serving only (admin key, issuer port); default true. */
  servingWarnings?: boolean;
  /**
   * The clock, in milliseconds since the epoch; defaults to `Date.now`. Access-token lifetimes (`iat`/`exp` at
   * issuance and verification, the verified-token cache) and the runtime's `now()` read it, so an embedder or a test
   * can move time forward instead of waiting for a token or a cache entry to expire.
   */
  now?: () => number;
}

export interface Addresses {
  public: AddressInfo;
  admin?: AddressInfo;
}

/**
 * One AuthPlane server: resolve config → register plugins (sync, no I/O) → open the database and migrate → load
 * keys → init plugins → listen → start plugins. `stop()` undoes it in reverse.
 */
export class AuthPlane {
  readonly resolved: ResolvedConfig;
  readonly config: KernelConfig;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly hooks: HookCatalog = createHookCatalog();
  readonly registries: RegistryCatalog = createRegistryCatalog();
  readonly routes = new RouteTable();
  readonly taps: TapRecord[] = [];
  readonly version = packageVersion();
  readonly #services = new ServiceDirectory();
  readonly #phaseTimeout: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #now: () => number;
  readonly #startedAt = Date.now();
  #callOnlyHooks: CallOnly<HookCatalog> | undefined;
  /** What each plugin's register returned for this server, in dependsOn order: its per-server lifecycle. */
  readonly #lifecycles: { name: string; lifecycle: PluginLifecycle }[] = [];
  readonly #storage: ServerStorage;
  readonly #keys: SigningKeys;
  #tokens: AccessTokenIssuer | undefined;
  /** What plugins get as `runtime.tokens`: the issuer without issueAccessToken (grants issue through their context). */
  #publicTokens: TokenIssuer | undefined;
  #discovery: Discovery | undefined;
  #audit: AuditQueue;
  #listeners: Listener[] = [];
  #runtimeApis = new Map<string, RuntimeApi>();
  #parts: ApiParts | undefined;
  #initialized: string[] = [];
  #stopping: Promise<void> | undefined;
  readonly #stopSignal = new AbortController();

  constructor(user: AuthPlaneConfig, options: CreateOptions = {}) {
    this.resolved = resolveConfig(user, options.env ?? process.env);
    this.config = this.resolved.kernel;
    this.#phaseTimeout = options.phaseTimeoutMs ?? 30_000;
    this.#env = options.env ?? process.env;
    this.#now = options.now ?? Date.now;
    const secretPaths = secretLeaves(this.resolved.schema).map((l) => l.path.join('.'));
    this.log = createLogger({ log: { level: options.logLevel ?? this.config.log.level } }, secretPaths, options.logDestination);
    this.metrics = new Metrics();
    this.#storage = new ServerStorage(this.config, this.registries.storageDrivers, this.log);
    this.#keys = new SigningKeys(this.config, this.registries.keyStores, this.log);
    this.#audit = new AuditQueue(this.hooks.auditSinks, this.log.child({ component: 'audit' }), MIN_INTERVAL_MS, this.metrics);
    for (const warning of this.resolved.warnings) this.log.warn(warning);
    if (options.servingWarnings !== false) for (const warning of this.resolved.servingWarnings) this.log.warn(warning);
    this.#register();
  }

  get db(): Knex {
    return this.#storage.db;
  }

  get keys(): KeyRing {
    return this.#keys.ring;
  }

  /** The key store in use (after boot): its name, where it keeps the keys, and whether replicas share it. */
  get keyStore(): KeyStoreStatus {
    return this.#keys.status;
  }

  /** Messages between the servers sharing the database (a no-op without a channel, e.g. on SQLite). */
  get replicas(): ReplicaMessages {
    return this.#storage.replicas;
  }

  /**
   * Re-reads the signing keys now (SIGHUP, `authserver serve`): a key written to the store by hand or restored from
   * a backup is published without waiting for the reload interval. True when something changed.
   */
  reloadKeys(): Promise<boolean> {
    return this.#keys.reload();
  }

  get discovery(): Discovery {
    return this.#discovery!;
  }

  #register(): void {
    this.#storage.migrations.push(tokenIssuances0001, issuanceLineage0002, issuanceResource0003, lineagePartialIndexes0004);
    registerTokenPurgeTargets(this.registries, () => this.config.tokens.issuanceRetentionDays);
    const ordered = orderPlugins(this.resolved.plugins);
    for (const plugin of ordered) {
      const name = plugin.instance.definition.name;
      const api = buildRegisterApi(this.#apiParts(), plugin.instance);
      try {
        // A hand-built instance skips definePlugin's check; stale init/start/stop fields would be silently ignored.
        assertCurrentContract(plugin.instance.definition);
        const lifecycle = plugin.instance.definition.register(api, plugin.options as never);
        this.#lifecycles.push({ name, lifecycle: lifecycle ?? {} });
      } catch (cause) {
        if (cause instanceof BootError) throw cause;
        throw new BootError('AP_ERR_PLUGIN_PHASE', `plugin '${name}' failed in register: ${(cause as Error).message}`, {
          cause,
        });
      }
    }
    this.#registerKernelRoutes();
    registerBuiltinCommands(this.registries.cliCommands);
    freezeHooks(this.hooks);
    this.routes.freeze();
    for (const registry of Object.values(this.registries)) registry.freeze();
    checkGrantLifetimes(this.registries.grantTypes, this.config.signing.retiredKeyRetention);
  }

  #registerKernelRoutes(): void {
    registerWellKnownRoutes(this.routes, {
      discovery: () => this.discovery,
      keys: () => this.keys,
      db: () => this.db,
    });
    registerSystemRoutes(this.routes, {
      version: this.version,
      startedAt: this.#startedAt,
      resolved: this.resolved,
      metrics: this.metrics,
      db: () => this.db,
      keys: () => this.keys,
      keyStore: () => this.keyStore,
      storageDriver: this.config.storage.driver,
      issuer: this.config.server.issuer,
      tokens: () => this.#publicTokens,
      now: () => this.#now(),
    });
    registerTokenRoute(this.routes, () => ({
      issuer: this.config.server.issuer,
      hooks: this.hooks,
      registries: this.registries,
      metrics: this.metrics,
      authenticate: this.authenticateClient,
      tokens: this.#tokens!,
      audit: this.#audit,
    }), this.metrics);
    // Declared now rather than at first use, so the registry lists every kernel metric from the start (docs/metrics.md).
    RequestMetrics.of(this.metrics);
    this.#authDenied();
  }

  #authDenied() {
    return this.metrics.counter({
      name: 'authserver_auth_denied_total',
      help: 'Requests denied, by reason',
      labelNames: ['reason'] as const,
    });
  }

  /** The client-authentication pipeline, shared with plugins' introspection and revocation endpoints. */
  readonly authenticateClient = createClientAuthentication(this.hooks, this.registries, (reason) =>
    this.#authDenied().inc({ reason: reason === 'bad_credentials' || reason === 'unknown_client' ? 'invalid_client' : reason }),
  );

  /** Opens the database, applies pending migrations (unless told not to), loads keys and runs plugins' init. */
  async boot(options: { migrate?: boolean } = {}): Promise<void> {
    await this.openDatabase();
    if (options.migrate !== false) await this.migrate();
    await this.openKeyStore();
    const keys = await this.#keys.load();
    this.#tokens = createTokenIssuer({
      issuer: this.config.server.issuer,
      keys,
      hooks: this.hooks,
      maxTtl: this.config.signing.retiredKeyRetention,
      db: () => this.db,
      dialect: () => this.#storage.dialect,
      reader: () => this.#storage.reader.get(),
      now: this.#now,
    });
    const tokens = this.#tokens;
    this.#publicTokens = {
      verifyAccessToken: (token) => tokens.verifyAccessToken(token),
      revokeJti: (jti, expiresAt, reason) => tokens.revokeJti(jti, expiresAt, reason),
      isRevoked: (jti) => tokens.isRevoked(jti),
      revokeLineage: (root, reason) => tokens.revokeLineage(root, reason),
      issuance: (jti) => tokens.issuance(jti),
    };
    this.#discovery = new Discovery(this.config.server.issuer, this.hooks, this.registries);
    for (const { name, lifecycle } of this.#lifecycles) {
      const api = this.runtimeApi(name);
      if (lifecycle.init) await runPhase(name, 'init', this.#phaseTimeout, () => lifecycle.init!(api));
      this.#initialized.push(name);
    }
    this.#discovery.invalidate();
  }

  /**
   * The configured key store, without loading keys into a ring (so nothing is generated): boot uses it, and
   * `authserver export`/`import` move the stored keys through it. Needs the database open.
   */
  openKeyStore(): Promise<KeyStore> {
    return this.#keys.openStore({ db: this.db, replicas: this.replicas });
  }

  /** The worker that runs long reads off the event loop (SQLite files); undefined until the database is open, or elsewhere. */
  get offLoopReader(): OffLoopReader | undefined {
    return this.#storage.offLoopReader;
  }

  /** The storage dialect, once the database is open. */
  get dialect(): Dialect {
    return this.#storage.dialect;
  }

  openDatabase(): Promise<Knex> {
    return this.#storage.open();
  }

  migrate(): Promise<string[]> {
    return this.#storage.migrate();
  }

  runtimeApi(plugin = 'kernel'): RuntimeApi {
    let api = this.#runtimeApis.get(plugin);
    if (!api) {
      api = buildRuntimeApi(this.#apiParts(), plugin);
      this.#runtimeApis.set(plugin, api);
    }
    return api;
  }

  /** The parts the plugin APIs are built from (kernel/plugin/api-builders.ts), made once. */
  #apiParts(): ApiParts {
    this.#parts ??= {
      hooks: this.hooks,
      registries: this.registries,
      routes: this.routes,
      taps: this.taps,
      services: this.#services,
      migrations: this.#storage.migrations,
      log: this.log,
      metrics: this.metrics,
      config: this.config,
      env: this.#env,
      plugins: this.resolved.plugins.map((p) => p.instance),
      audit: this.#audit,
      now: this.#now,
      stopping: this.#stopSignal.signal,
      runtime: (plugin) => this.runtimeApi(plugin),
      callOnlyHooks: () => (this.#callOnlyHooks ??= callOnlyHooks(this.hooks)),
      db: () => this.db,
      dialect: () => this.#storage.openDialect!,
      keys: () => this.keys,
      replicas: () => this.replicas,
      tokens: () => this.#publicTokens!,
      discovery: () => this.discovery,
      authenticateClient: (request, params) => this.authenticateClient(request, params),
    };
    return this.#parts;
  }

  /** Binds the listeners and runs plugins' start. */
  async listen(): Promise<Addresses> {
    // Loaded only when tracing is on: a server without tracing never pays for importing the API.
    const tracing = this.config.observability.tracing.enabled ? await loadTracing(this.version) : undefined;
    const api = tracing?.api;
    if (api) this.#audit.traceIdFrom(() => api.trace.getActiveSpan()?.spanContext().traceId);
    const deps = { config: this.config, log: this.log, metrics: this.metrics, routes: this.routes, hooks: this.hooks, tracing };
    const hsts = { hsts: this.config.server.issuer.startsWith('https:') };
    const publicListener = new Listener('public', buildHandler('public', deps), hsts);
    this.#listeners.push(publicListener);
    const addresses: Addresses = { public: await publicListener.listen(this.config.server.address) };
    if (this.config.admin.enabled) {
      const adminListener = new Listener('admin', buildHandler('admin', deps), hsts);
      this.#listeners.push(adminListener);
      addresses.admin = await adminListener.listen(this.config.admin.address);
    }
    this.#keys.follow(this.#storage.openDialect?.name);
    await this.replicas.start();
    for (const { name, lifecycle } of this.#lifecycles) {
      if (lifecycle.start) await runPhase(name, 'start', this.#phaseTimeout, () => lifecycle.start!(this.runtimeApi(name)));
    }
    this.log.info(
      {
        issuer: this.config.server.issuer,
        public: `${addresses.public.address}:${addresses.public.port}`,
        admin: addresses.admin ? `${addresses.admin.address}:${addresses.admin.port}` : 'disabled',
        storage: this.config.storage.driver,
        plugins: this.resolved.plugins.map((p) => p.instance.definition.name),
        version: this.version,
      },
      'listening',
    );
    // Buffered stdout (observe/logger.ts): whoever waits for this line to know the server is up gets it now.
    this.log.flush();
    return addresses;
  }

  /** Stops accepting, drains in-flight requests (bounded), stops plugins in reverse, flushes audit, closes the db. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopSignal.abort();
      const timeoutMs = this.config.shutdown.timeout * 1000;
      this.#keys.unfollow();
      await Promise.all(this.#listeners.map((l) => l.close(timeoutMs)));
      const lifecycles = new Map(this.#lifecycles.map((l) => [l.name, l.lifecycle]));
      for (const name of [...this.#initialized].reverse()) {
        const lifecycle = lifecycles.get(name)!;
        if (!lifecycle.stop) continue;
        try {
          await runPhase(name, 'stop', timeoutMs, () => lifecycle.stop!(this.runtimeApi(name)));
        } catch (err) {
          this.log.error({ err, plugin: name }, 'plugin stop failed');
        }
      }
      await this.#tokens?.drain();
      await this.#audit.flush();
      this.#keys.close();
      await this.#storage.close();
      this.log.info('stopped');
      this.log.flush();
    })();
    return this.#stopping;
  }
}

export async function createAuthPlane(config: AuthPlaneConfig, options?: CreateOptions): Promise<AuthPlane> {
  return new AuthPlane(config, options);
}
