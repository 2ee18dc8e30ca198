/**
 * Builds a server with `authserver build` (the CLI from source, as a user of a checkout runs it) and runs the
 * result the way the docs say: `node <dir>/authserver.js …` from a directory holding nothing else.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { runCli, spawnServe, tempDir } from '../helpers/server.js';

/** The esbuild metafile `authserver build` writes beside the bundle (the parts read here). */
export interface Metafile {
  inputs: Record<string, { bytes: number }>;
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }>; imports: { path: string; external?: boolean }[] }>;
}

/**
 * Builds `configFile` into a temp directory, then moves the output elsewhere, so nothing in it can lean on where it
 * was written (or on the repository, which the new place is not under).
 */
export async function buildServer(t: TestContext, configFile: string): Promise<{ dir: string; stdout: string; metafile: Metafile }> {
  const built = join(tempDir(t, 'authplane-built-'), 'out');
  const result = await runCli(['build', '--config', configFile, '--out', built], { cwd: tempDir(t) });
  assert.equal(result.code, 0, `authserver build failed:\n${result.stdout}\n${result.stderr}`);
  const dir = join(tempDir(t, 'authplane-moved-'), 'server');
  renameSync(built, dir);
  return { dir, stdout: result.stdout, metafile: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Metafile };
}

/** The modules with code in the output files (esbuild lists what it parsed under `inputs`, what it kept here). */
export function bundledModules(metafile: Metafile): string[] {
  return [
    ...new Set(
      Object.values(metafile.outputs).flatMap((output) =>
        Object.entries(output.inputs)
          .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
          .map(([input]) => input),
      ),
    ),
  ].sort();
}

/** The plugins (directories under plugins/) with code in the output. */
export function bundledPlugins(metafile: Metafile): string[] {
  return [...new Set(bundledModules(metafile).flatMap((input) => /^plugins\/([a-z0-9-]+)\//.exec(input)?.[1] ?? []))].sort();
}

/** `node <dir>/authserver.js serve` in an empty directory, until it logs "listening". */
export function serveBuilt(t: TestContext, dir: string, options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}) {
  return spawnServe(t, { cwd: tempDir(t, 'authplane-empty-'), command: [process.execPath, ...(options.nodeArgs ?? []), join(dir, 'authserver.js')], env: options.env });
}
