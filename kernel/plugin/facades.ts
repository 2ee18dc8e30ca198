import { BootError } from '../errors.js';
import type { HookCatalog } from '../hooks.js';
import type { CallOnly, TapOnly } from './api.js';

export interface TapRecord {
  hook: string;
  plugin: string;
}

type AnyHook = Record<string, (...args: unknown[]) => unknown>;

const TAP_METHODS = ['tap', 'tapAsync', 'tapPromise'] as const;
const CALL_METHODS = ['call', 'callAsync', 'promise'] as const;

/** grantRequest is a HookMap (one hook per grant_type); every other entry is a single tapable hook. */
function isHookMap(name: string): boolean {
  return name === 'grantRequest';
}

/**
 * Tap-only views of the catalog for one plugin: taps carry the plugin's name and are recorded (docs/hooks.md lists
 * who taps what). Once register is over the hooks underneath refuse every tap (`freezeHooks`).
 */
export function tapOnlyHooks(hooks: HookCatalog, plugin: string, record: (tap: TapRecord) => void): TapOnly<HookCatalog> {
  const facade = (name: string, hook: AnyHook) => {
    const guard =
      (method: string) =>
      (options: unknown, fn: unknown): void => {
        const tapOptions = typeof options === 'string' ? { name: options } : (options as object);
        hook[method]!.call(hook, { ...tapOptions, name: plugin }, fn);
        record({ hook: name, plugin });
      };
    return { tap: guard('tap'), tapAsync: guard('tapAsync'), tapPromise: guard('tapPromise') };
  };
  const result: Record<string, unknown> = {};
  for (const [name, hook] of Object.entries(hooks)) {
    if (isHookMap(name)) {
      const map = hook as HookCatalog['grantRequest'];
      result[name] = { for: (key: string) => facade(`${name}.for('${key}')`, map.for(key) as never) };
    } else {
      result[name] = facade(name, hook as never);
    }
  }
  return result as unknown as TapOnly<HookCatalog>;
}

function tapName(options: unknown): string {
  if (typeof options === 'string') return options;
  const name = (options as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : '(unnamed)';
}

function frozenTap(hookName: string) {
  return (options: unknown): never => {
    throw new BootError(
      'AP_ERR_HOOKS_FROZEN',
      `plugin '${tapName(options)}' tapped ${hookName} after register; hooks are tapped in register only`,
    );
  };
}

function freezeHook(hookName: string, hook: AnyHook): void {
  for (const method of TAP_METHODS) hook[method] = frozenTap(hookName);
  hook.intercept = () => {
    throw new BootError('AP_ERR_HOOKS_FROZEN', `an interceptor was added to ${hookName} after register`);
  };
}

/**
 * Closes the catalog by construction, so that whoever holds a hook (a runtime API, the server object) cannot tap
 * it late: the issuer and token endpoint read `isUsed()` once, and a late tap would take effect on some hooks and
 * silently not on others.
 */
export function freezeHooks(hooks: HookCatalog): void {
  for (const [name, hook] of Object.entries(hooks)) {
    if (!isHookMap(name)) {
      freezeHook(name, hook as never);
      continue;
    }
    const map = hook as HookCatalog['grantRequest'] & { _factory: (key: string) => unknown; _map: Map<string, unknown> };
    for (const [key, inner] of map._map) freezeHook(`${name}.for('${key}')`, inner as never);
    const existing = map._map;
    // A key nobody tapped gets a fresh, empty and already frozen hook, which is not stored: calling it is a no-op.
    map.for = (key: string) => {
      const found = existing.get(key);
      if (found !== undefined) return found as never;
      const fresh = map._factory(key) as AnyHook;
      freezeHook(`${name}.for('${key}')`, fresh);
      return fresh as never;
    };
    (map as unknown as AnyHook).intercept = () => {
      throw new BootError('AP_ERR_HOOKS_FROZEN', `an interceptor was added to ${name} after register`);
    };
  }
}

/**
 * The runtime view: the owner of an endpoint calls its hooks (`authorizeRequest`, `introspectToken`…); nothing here
 * can tap. Calls delegate at call time, because tapable compiles `call` on first use and replaces the method.
 */
export function callOnlyHooks(hooks: HookCatalog): CallOnly<HookCatalog> {
  const view = (hook: AnyHook) => {
    const result: Record<string, unknown> = { isUsed: () => hook.isUsed!() };
    for (const method of CALL_METHODS) result[method] = (...args: unknown[]) => hook[method]!(...args);
    return Object.freeze(result);
  };
  const result: Record<string, unknown> = {};
  for (const [name, hook] of Object.entries(hooks)) {
    if (isHookMap(name)) {
      const map = hook as HookCatalog['grantRequest'];
      result[name] = Object.freeze({
        get: (key: string) => {
          const inner = map.get(key);
          return inner === undefined ? undefined : view(inner as never);
        },
      });
    } else {
      result[name] = view(hook as never);
    }
  }
  return Object.freeze(result) as unknown as CallOnly<HookCatalog>;
}
