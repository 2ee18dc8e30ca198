import type { JsonSchema } from '../config/schema.js';
import type { RegisterApi, RuntimeApi } from './api.js';
import { checkPluginErrors, type PluginErrorCodes } from './errors.js';

/**
 * What `register` may hand back: the plugin's later phases, closing over whatever register built. One call of
 * `register` per server, so this closure is the plugin's per-server state (two servers in one process never share
 * it, and no module-level map keyed by config is needed).
 */
export interface PluginLifecycle {
  /** Database migrated, keys loaded, every plugin registered: seed rows, warm caches. */
  init?(api: RuntimeApi): Promise<void>;
  /** Listeners bound: background jobs (timers, LISTEN/NOTIFY). */
  start?(api: RuntimeApi): Promise<void>;
  /** Reverse order, bounded by `shutdown.timeout`; runs for every plugin whose init ran. */
  stop?(api: RuntimeApi): Promise<void>;
}

/**
 * The plugin contract. Built-in features and users' plugins are the same kind of object: the kernel applies each
 * one in `dependsOn` order, and `register` is the only place a plugin wires itself in (hooks, routes, services,
 * migrations); it returns its lifecycle, if it has one. After `register` the hook catalog and registries are frozen.
 */
export interface PluginDefinition<O extends object = Record<string, never>> {
  /** kebab-case: the config key (camelCase), log component and env segment (`AUTHPLANE_<NAME>_…`). */
  name: string;
  dependsOn?: readonly string[];
  /** JSON Schema of the options: defaults, descriptions (rendered into docs/configuration.md), `x-secret`. */
  schema?: JsonSchema;
  /** Environment variables it reads besides its options, so the kernel does not warn about them as unknown. */
  env?: readonly string[];
  /** Its own AP_ERR_<PLUGIN>_<WHAT> codes (`defineErrors`), listed under it in docs/errors.md. */
  errors?: PluginErrorCodes;
  /** Sync, no I/O. Called once per server; what it returns is that server's lifecycle of the plugin. */
  register(api: RegisterApi, options: Readonly<O>): PluginLifecycle | void;
}

/**
 * Plugin API 1.0 moved `init`/`start`/`stop` into what `register` returns. A definition still carrying them would
 * otherwise have those phases silently skipped, so it is refused by name.
 */
export function assertCurrentContract(definition: object & { name?: unknown }): void {
  const stale = ['init', 'start', 'stop'].filter((phase) => phase in definition);
  if (stale.length) {
    throw new TypeError(
      `plugin '${String(definition.name)}' defines ${stale.join('/')} on its definition; ` +
        'return them from register instead: register(api, options) { …; return { init, start, stop }; }',
    );
  }
}

export interface PluginInstance<O extends object = any> {
  readonly definition: PluginDefinition<O>;
  /** Options as written in the config file (the middle layer: schema defaults < these < environment). */
  readonly options: Readonly<Partial<O>>;
}

type PartialDeep<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: PartialDeep<T[K]> } : T;

export type PluginFactory<O extends object> = ((options?: PartialDeep<O>) => PluginInstance<O>) & {
  readonly definition: PluginDefinition<O>;
};

export function definePlugin<O extends object = Record<string, never>>(definition: PluginDefinition<O>): PluginFactory<O> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(definition.name)) {
    throw new TypeError(`plugin name '${definition.name}' must be kebab-case`);
  }
  checkPluginErrors(definition.name, definition.errors);
  assertCurrentContract(definition);
  const factory = (options?: PartialDeep<O>): PluginInstance<O> => ({
    definition,
    options: (options ?? {}) as Partial<O>,
  });
  return Object.assign(factory, { definition });
}

/** `client-credentials` → `clientCredentials`: the plugin's key in the merged config. */
export function pluginConfigKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
