import type { Logger } from 'pino';
import type { KernelConfig } from '../config/types.js';
import type { HookCatalog, RegistryCatalog } from '../hooks.js';
import type { RouteTable } from '../http/routes.js';
import type { Metrics } from '../observe/metrics.js';
import { readRows } from '../storage/off-loop-reads.js';
import type { Migration } from '../storage/migrations.js';
import type { CallOnly, RegisterApi, RuntimeApi } from './api.js';
import type { PluginInstance } from './define.js';
import { tapOnlyHooks, type TapRecord } from './facades.js';
import { dependencyClosure } from './order.js';
import type { ServiceDirectory } from './services.js';

/**
 * What the plugin APIs are made of: the server's parts. The ones that exist only once the server has booted
 * (database, keys, token issuer, discovery) are functions, read each time a plugin asks — a plugin holds its API
 * from register on, long before they are there.
 */
export interface ApiParts {
  readonly hooks: HookCatalog;
  readonly registries: RegistryCatalog;
  readonly routes: RouteTable;
  readonly taps: TapRecord[];
  readonly services: ServiceDirectory;
  readonly migrations: Migration[];
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly config: KernelConfig;
  readonly env: NodeJS.ProcessEnv;
  /** Every enabled plugin: a plugin may use the services of those it depends on, directly or not. */
  readonly plugins: readonly PluginInstance[];
  readonly audit: RuntimeApi['audit'];
  readonly now: () => number;
  readonly stopping: AbortSignal;
  runtime(plugin: string): RuntimeApi;
  callOnlyHooks(): CallOnly<HookCatalog>;
  db(): RuntimeApi['db'];
  dialect(): RuntimeApi['dialect'];
  keys(): RuntimeApi['keys'];
  replicas(): RuntimeApi['replicas'];
  tokens(): RuntimeApi['tokens'];
  discovery(): RuntimeApi['discovery'];
  authenticateClient: RuntimeApi['authenticateClient'];
}

/** The API a plugin's `register` gets: taps, its own registry entries, routes, services, migrations. */
export function buildRegisterApi(parts: ApiParts, plugin: PluginInstance): RegisterApi {
  const name = plugin.definition.name;
  const deps = dependencyClosure(parts.plugins, name);
  return {
    name,
    hooks: tapOnlyHooks(parts.hooks, name, (t) => parts.taps.push(t)),
    registries: Object.fromEntries(
      Object.entries(parts.registries).map(([k, r]) => [k, r.forOwner(name)]),
    ) as unknown as RegisterApi['registries'],
    route: (on, method, path, handler, options = {}) => parts.routes.add({ listener: on, method, path, handler, options, owner: name }),
    corsHeaders: (headers) => parts.routes.addCorsHeaders(headers, name),
    provide: (service, impl) => parts.services.provide(name, service, impl),
    use: (service) => parts.services.use(name, deps, service),
    migrations: (list) => parts.migrations.push(...list),
    runtime: () => parts.runtime(name),
    env: Object.fromEntries((plugin.definition.env ?? []).map((v) => [v, parts.env[v]])),
    environmentVariable: (variable) => parts.env[variable],
    log: parts.log.child({ plugin: name }),
    metrics: parts.metrics,
    config: parts.config,
  };
}

/** The API a plugin's lifecycle phases and handlers get (`api.runtime()`): the booted server's parts. */
export function buildRuntimeApi(parts: ApiParts, plugin: string): RuntimeApi {
  const deps = dependencyClosure(parts.plugins, plugin);
  return {
    name: plugin,
    use: (service) => parts.services.use(plugin, deps, service),
    log: parts.log.child({ plugin }),
    metrics: parts.metrics,
    config: parts.config,
    get db() {
      return parts.db();
    },
    get dialect() {
      return parts.dialect();
    },
    get keys() {
      return parts.keys();
    },
    get replicas() {
      return parts.replicas();
    },
    audit: parts.audit,
    get tokens() {
      return parts.tokens();
    },
    get discovery() {
      return parts.discovery();
    },
    hooks: parts.callOnlyHooks(),
    registries: parts.registries,
    now: parts.now,
    readRows,
    stopping: parts.stopping,
    resolveClient: (clientId, request) => parts.hooks.resolveClient.promise(clientId, request),
    authenticateClient: (request, params) => parts.authenticateClient(request, params),
  };
}
