/**
 * A plugin's own AP_ERR_* codes. The kernel's codes (BOOT_ERROR_CODES) name kernel mechanisms; a plugin that fails
 * for a reason of its own (a setting of its own, a file it keeps) throws a code it declared with `defineErrors`, so an
 * operator searching a code finds the plugin, and docs/errors.md lists it under that plugin. A plugin passes the
 * declaration to `definePlugin({ errors })`; test/kernel/plugin-errors.test.ts fails when a plugin's source names a
 * code it did not declare, or a kernel code.
 */
import { BOOT_ERROR_CODES, BootError } from '../errors.js';

type UpperSnake<S extends string> = S extends `${infer A}-${infer B}` ? `${Uppercase<A>}_${UpperSnake<B>}` : Uppercase<S>;

/** `AP_ERR_` + the plugin name in upper snake case + `_`: `storage-sqlite` → `AP_ERR_` + `STORAGE_SQLITE_`. */
export type PluginErrorPrefix<P extends string> = `AP_ERR_${UpperSnake<P>}_`;

/** A failure a plugin declared: a BootError (the CLI prints it once, boot stops) that names its plugin. */
export class PluginError extends BootError {
  readonly plugin: string;
  constructor(plugin: string, code: `AP_ERR_${string}`, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'PluginError';
    this.plugin = plugin;
  }
}

/** One constructor per declared code: `errors.PATH(message, { cause })`. */
export type PluginErrorConstructors<P extends string, W extends string> = {
  readonly [K in W]: (message: string, options?: { cause?: unknown }) => PluginError & { code: `${PluginErrorPrefix<P>}${K}` };
};

/** What definePlugin and the docs read of a declaration. */
export interface PluginErrorCodes {
  readonly plugin: string;
  /** Full code → meaning, for docs/errors.md. */
  readonly codes: Readonly<Record<string, string>>;
}

export type PluginErrors<P extends string, W extends string> = PluginErrorConstructors<P, W> & PluginErrorCodes & { readonly plugin: P };

const PLUGIN_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const WHAT = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

export function pluginErrorPrefix<P extends string>(plugin: P): PluginErrorPrefix<P> {
  return `AP_ERR_${plugin.replace(/-/g, '_').toUpperCase()}_` as PluginErrorPrefix<P>;
}

/**
 * Declares a plugin's error codes, `{ WHAT: 'meaning' }`, each becoming `AP_ERR_<PLUGIN>_<WHAT>`. The meaning is
 * what docs/errors.md says to an operator: what went wrong and what to change.
 */
export function defineErrors<P extends string, W extends string>(plugin: P, meanings: Record<W, string>): PluginErrors<P, W> {
  if (!PLUGIN_NAME.test(plugin)) throw new TypeError(`defineErrors: plugin name '${plugin}' must be kebab-case`);
  const prefix = pluginErrorPrefix(plugin);
  const codes: Record<string, string> = {};
  const constructors: Record<string, (message: string, options?: { cause?: unknown }) => PluginError> = {};
  for (const [what, meaning] of Object.entries<string>(meanings)) {
    if (!WHAT.test(what)) throw new TypeError(`defineErrors('${plugin}'): '${what}' must be UPPER_SNAKE_CASE`);
    if (!meaning.trim()) throw new TypeError(`defineErrors('${plugin}'): ${what} needs a meaning for docs/errors.md`);
    const code = `${prefix}${what}` as const;
    if (code in BOOT_ERROR_CODES) throw new TypeError(`defineErrors('${plugin}'): ${code} is a kernel code`);
    codes[code] = meaning;
    constructors[what] = (message, options) => new PluginError(plugin, code, message, options);
  }
  return Object.freeze({ ...constructors, plugin, codes: Object.freeze(codes) }) as unknown as PluginErrors<P, W>;
}

/** definePlugin's check: the declaration is the plugin's own, so every code carries the plugin's prefix. */
export function checkPluginErrors(name: string, errors: PluginErrorCodes | undefined): void {
  if (!errors) return;
  const prefix = pluginErrorPrefix(name);
  const foreign = Object.keys(errors.codes).filter((code) => !code.startsWith(prefix));
  if (errors.plugin !== name || foreign.length) {
    throw new TypeError(
      `plugin '${name}' declares errors of '${errors.plugin}' (${foreign.join(', ') || 'its codes'}); its codes must start with ${prefix}`,
    );
  }
}
