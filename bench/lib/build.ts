/** Benchmarks run the compiled server (what `npm install authplane` and the Docker image run); build it when stale. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '../..');
export const COMPILED_CLI = join(REPO_ROOT, 'dist/bin/authserver.js');
const SOURCE_DIRS = ['bin', 'kernel', 'plugins', 'migrations'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` unless dist/ is newer than every source file. */
export function ensureBuilt(log: (line: string) => void = console.log): void {
  const newestSource = Math.max(...SOURCE_DIRS.map((d) => newestMtime(join(REPO_ROOT, d))));
  if (existsSync(COMPILED_CLI) && statSync(COMPILED_CLI).mtimeMs >= newestSource) return;
  log('building dist/ (npm run build)…');
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error('npm run build failed; run with --source to benchmark the TypeScript sources');
}
