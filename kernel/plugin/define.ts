import type { JsonSchema } from '../config/schema.js';
import type { RegisterApi, RuntimeApi } from './api.js';
import { checkPluginErrors, type PluginErrorCodes } from './errors.js';

/**
 * The plugin contract. Built-in features and users' plugins are the same kind of object: the kernel applies each
 * one in `dependsOn` order, and `register` is the only place a plugin wires itself in (hooks, routes, services,
 * migrations). After `register` the hook catalog and registries are frozen.
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
  register(api: RegisterApi, options: Readonly<O>): void;
  init?(api: RuntimeApi, options: Readonly<O>): Promise<void>;
  start?(api: RuntimeApi, options: Readonly<O>): Promise<void>;
  stop?(api: RuntimeApi, options: Readonly<O>): Promise<void>;
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
