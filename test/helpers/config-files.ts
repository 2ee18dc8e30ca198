/**
 * Config files for tests that run the real CLI. A config imports 'authplane', which resolves through the package's
 * self-reference only from inside the repository, so these files live under the git-ignored `.tmp/` of the repo
 * (not the OS temp directory) and are removed in `t.after`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './server.js';

export const FIXTURE_PLUGINS = join(REPO_ROOT, 'test/fixtures/plugins');

/** A fresh directory under `<repo>/.tmp/`, removed after the test. */
export function repoTempDir(t: { after(fn: () => unknown): void }, prefix = 'test-'): string {
  const root = join(REPO_ROOT, '.tmp');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface ConfigFileOptions {
  /** Kernel settings, written as a JSON literal (so a test can also write what the types forbid, like a secret). */
  settings?: Record<string, unknown>;
  /** Extra import lines, e.g. `import { helloPlugin } from '…'` (see fixtureImport). */
  imports?: string[];
  /** Plugin expressions added after the storage, key store and audit plugins, e.g. `helloPlugin({ greeting: 'x' })`. */
  plugins?: string[];
  /** File name inside dir. */
  name?: string;
}

/** `import { helloPlugin } from '/abs/test/fixtures/plugins/hello-plugin.ts';` */
export function fixtureImport(names: string, file: string): string {
  return `import { ${names} } from ${JSON.stringify(join(FIXTURE_PLUGINS, file))};`;
}

/** Writes `authplane.config.ts` (or `name`) the way a user would, and returns its absolute path. */
export function writeConfigFile(dir: string, options: ConfigFileOptions = {}): string {
  const path = join(dir, options.name ?? 'authplane.config.ts');
  const plugins = ['storageSqlite()', 'storagePostgres()', 'keystoreKeyfile()', 'auditDb()', ...(options.plugins ?? [])];
  const source = [
    "import { defineConfig } from 'authplane';",
    "import { auditDb, keystoreKeyfile, storagePostgres, storageSqlite } from 'authplane/plugins';",
    ...(options.imports ?? []),
    '',
    `const settings = ${JSON.stringify(options.settings ?? {}, null, 2)};`,
    '',
    `export default defineConfig({ ...settings, plugins: [${plugins.join(', ')}] });`,
    '',
  ].join('\n');
  writeFileSync(path, source);
  return path;
}

/** The lines of a CLI's stderr that are its error message (not JSON log lines). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('error: '));
}
