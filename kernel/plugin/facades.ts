import { BootError } from '../errors.js';
import type { HookCatalog } from '../hooks.js';
import type { TapOnly } from './api.js';

export interface TapRecord {
  hook: string;
  plugin: string;
}

/**
 * Tap-only views of the catalog for one plugin: taps carry the plugin's name, are recorded (docs/hooks.md lists
 * who taps what) and are refused once register is over.
 */
export function tapOnlyHooks(
  hooks: HookCatalog,
  plugin: string,
  isFrozen: () => boolean,
  record: (tap: TapRecord) => void,
): TapOnly<HookCatalog> {
  const facade = (name: string, hook: Record<string, (...args: unknown[]) => unknown>) => {
    const guard =
      (method: string) =>
      (options: unknown, fn: unknown): void => {
        if (isFrozen()) throw new BootError('AP_ERR_REGISTRY_FROZEN', `plugin '${plugin}' tapped ${name} after boot`);
        record({ hook: name, plugin });
        const tapOptions = typeof options === 'string' ? { name: options } : (options as object);
        hook[method]!.call(hook, { ...tapOptions, name: plugin }, fn);
      };
    return { tap: guard('tap'), tapAsync: guard('tapAsync'), tapPromise: guard('tapPromise') };
  };
  const result: Record<string, unknown> = {};
  for (const [name, hook] of Object.entries(hooks)) {
    if (name === 'grantRequest') {
      const map = hook as HookCatalog['grantRequest'];
      result[name] = { for: (key: string) => facade(`${name}.for('${key}')`, map.for(key) as never) };
    } else {
      result[name] = facade(name, hook as never);
    }
  }
  return result as unknown as TapOnly<HookCatalog>;
}
