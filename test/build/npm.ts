/** What the build tests need to run npm in a directory of their own, outside this repository's npm context. */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** npm settings of the user's that a scratch install keeps (cache, registry, certificates, proxies). */
const KEPT_NPM_CONFIG = /^npm_config_(cache|userconfig|globalconfig|registry|cafile|strict_ssl|(https_|no)?proxy)$/i;

/**
 * The environment for npm in a scratch directory: no variables `npm test` set for this package (npm_package_*,
 * npm_lifecycle_*, npm_config_local_prefix…), no NODE_ENV=test from the test runner (npm would read production
 * or not from it), no node:test context.
 */
export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !KEPT_NPM_CONFIG.test(name)) continue;
    if (name === 'NODE_ENV' || name === 'NODE_TEST_CONTEXT' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

const versionOf = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;

/**
 * After `npm ci|install --ignore-scripts`: better-sqlite3's native addon, which its install script would compile
 * from source (about two minutes; no prebuilt binary is downloaded here), taken from this repository's
 * node_modules instead. Only for the identical version, built for this very node.
 */
export function reuseCompiledAddon(repoRoot: string, projectDir: string): void {
  const [wanted, built] = [versionOf(projectDir), versionOf(repoRoot)];
  if (wanted !== built) throw new Error(`better-sqlite3 ${wanted} installed but ${built} compiled in this repository: run npm install`);
  cpSync(join(repoRoot, 'node_modules/better-sqlite3/build'), join(projectDir, 'node_modules/better-sqlite3/build'), { recursive: true });
}
