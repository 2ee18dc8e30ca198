import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
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
