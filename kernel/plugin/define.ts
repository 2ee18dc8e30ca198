import type { JsonSchema } from '../config/schema.js';
import type { RegisterApi, RuntimeApi } from './api.js';
import { checkPluginErrors, type PluginErrorCodes } from './errors.js';
import { asJsonSchema, type Static, type TObject } from './options-schema.js';

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
  /**
   * The options, built with `Type` (TypeBox): defaults, descriptions (rendered into docs/configuration.md),
   * `x-secret`. Its static type is what `register` receives, so a field with a default is not `Type.Optional`.
   */
  schema?: TObject;
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

/** What `register` receives for a schema: its static type (defaults applied); no schema, no options. */
export type OptionsOf<S extends TObject | undefined> = [S] extends [TObject] ? Static<S> : Record<string, never>;

/** A definition as `definePlugin` takes it: the options type comes from `schema`, never beside it. */
export type PluginSpec<S extends TObject | undefined> = Omit<PluginDefinition<OptionsOf<S>>, 'schema'> & { schema?: S };

export interface PluginInstance<O extends object = any> {
  readonly definition: PluginDefinition<O>;
  /** Options as written in the config file (the middle layer: schema defaults < these < environment). */
  readonly options: Readonly<Partial<O>>;
}

type PartialDeep<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: PartialDeep<T[K]> } : T;

export type PluginFactory<O extends object> = ((options?: PartialDeep<O>) => PluginInstance<O>) & {
  readonly definition: PluginDefinition<O>;
};

export function definePlugin<S extends TObject | undefined = undefined>(spec: PluginSpec<S>): PluginFactory<OptionsOf<S>> {
  type O = OptionsOf<S>;
  const definition = spec as PluginDefinition<O>;
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(definition.name)) {
    throw new TypeError(`plugin name '${definition.name}' must be kebab-case`);
  }
  checkPluginErrors(definition.name, definition.errors);
  assertCurrentContract(definition);
  if (definition.schema) assertDefaultsRequired(definition.name, asJsonSchema(definition.schema));
  const factory = (options?: PartialDeep<O>): PluginInstance<O> => ({
    definition,
    options: (options ?? {}) as Partial<O>,
  });
  return Object.assign(factory, { definition });
}

/**
 * The options `register` gets have every default applied, and their static type says so only if each field with a
 * default is a required property (ajv fills defaults in before it checks `required`). `Type.Optional` on such a
 * field would type a present value as possibly undefined: refused, so the type never drifts from what arrives.
 */
function assertDefaultsRequired(plugin: string, schema: JsonSchema, path: string[] = []): void {
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    const at = [...path, key];
    if (sub.default !== undefined && !schema.required?.includes(key)) {
      throw new TypeError(
        `plugin '${plugin}': option '${at.join('.')}' has a default, so it is always present; declare it without Type.Optional (a required property)`,
      );
    }
    if (sub.type === 'object') assertDefaultsRequired(plugin, sub, at);
  }
}

/** `client-credentials` → `clientCredentials`: the plugin's key in the merged config. */
export function pluginConfigKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
