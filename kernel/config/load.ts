import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { register as registerHooks } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BootError } from '../errors.js';
import type { AuthPlaneConfig } from './types.js';

export const DEFAULT_CONFIG_FILE = 'authplane.config.ts';

/**
 * Loads a config file: `.ts`/`.mts` through tsx's loader (no build step on Node 20), `.js`/`.mjs` natively,
 * `.json` as data. Returns undefined when no path was given and `./authplane.config.ts` does not exist.
 */
export async function loadConfigFile(path?: string, cwd = process.cwd()): Promise<AuthPlaneConfig | undefined> {
  const file = resolve(cwd, path ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (path === undefined) return undefined;
    throw new BootError('AP_ERR_CONFIG_LOAD', `config file not found: ${file}`);
  }
  let loaded: unknown;
  try {
    if (file.endsWith('.json')) {
      loaded = JSON.parse(await readFile(file, 'utf8'));
    } else if (/\.(c|m)?ts$/.test(file)) {
      // Not tsImport: its namespace gives the config private copies of 'authplane', so an error class thrown by a
      // plugin defined in the config would fail the kernel's instanceof checks. An unscoped loader shares the running
      // kernel's modules; it is unregistered afterwards, as its message port would otherwise keep the process alive.
      const { register } = await import('tsx/esm/api');
      const unregister = register();
      typeScriptAsModules(dirname(file));
      try {
        loaded = await import(pathToFileURL(file).href);
      } finally {
        await unregister();
      }
    } else {
      loaded = await import(pathToFileURL(file).href);
    }
  } catch (cause) {
    throw new BootError('AP_ERR_CONFIG_LOAD', `cannot load config file ${file}: ${(cause as Error).message}`, { cause });
  }
  let config = loaded as { default?: unknown };
  // A TS module imported through tsx can arrive with its default export nested once more.
  while (config && typeof config === 'object' && 'default' in config && !('plugins' in config) && !('server' in config)) {
    config = config.default as { default?: unknown };
  }
  if (!config || typeof config !== 'object') {
    throw new BootError('AP_ERR_CONFIG_LOAD', `config file ${file} must export a config object (export default defineConfig({...}))`);
  }
  return config as AuthPlaneConfig;
}

/** Directories whose TypeScript files are already loaded as ES modules (the hooks stay for the process). */
const asModules = new Set<string>();

/**
 * A config file is an ES module (`export default defineConfig(…)`), but tsx, like node, gives a `.ts` file the
 * module type of its nearest package.json — and a project made by `npm init` has none, so node failed with "Cannot
 * require() ES Module … in a cycle". These hooks, registered after tsx's (so they run first and see its answer), make
 * the `.ts` files under the config's directory, outside node_modules, ES modules whatever the package says.
 */
function typeScriptAsModules(directory: string): void {
  const root = pathToFileURL(directory.endsWith('/') ? directory : `${directory}/`).href;
  if (asModules.has(root)) return;
  asModules.add(root);
  const hooks = `
    const ROOT = ${JSON.stringify(root)};
    export async function resolve(specifier, context, next) {
      const found = await next(specifier, context);
      const url = found.url;
      if (url.startsWith(ROOT) && !url.includes('/node_modules/') && /\\.m?ts$/.test(new URL(url).pathname)) return { ...found, format: 'module' };
      return found;
    }`;
  registerHooks(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
