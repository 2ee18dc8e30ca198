/**
 * The console of a server made by `authserver build`. Such a directory carries neither the page sources nor
 * esbuild, so the build step bundles the console while the sources are at hand — from the pages of the config being
 * built — into `<out>/console/`, and the built server serves those bytes instead of building at its first request.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdminPage } from 'authplane';
import { buildConsole, consoleBundle, consoleEntries, packageRoot, type ConsoleBundle } from './bundle.js';

/** Beside `authserver.js` in a build's output (the package root of a built server: its package.json). */
export const PREBUILT_DIR = 'console';
const MANIFEST = 'manifest.json';

interface Manifest {
  file: string;
  /** The navigation entries the bundle starts the shell with: the pages it holds. */
  pages: ReturnType<typeof consoleEntries>;
  inputs: string[];
}

export async function writePrebuiltConsole(
  outDir: string,
  pages: readonly [string, AdminPage][],
  owners: (path: string) => string | undefined,
): Promise<ConsoleBundle> {
  const built = await buildConsole(pages, owners);
  const dir = join(outDir, PREBUILT_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, built.file), built.js);
  const manifest: Manifest = { file: built.file, pages: consoleEntries(pages), inputs: built.inputs };
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return built;
}

/**
 * The prebuilt console of this server's directory; undefined where there is none (a checkout, an npm install, the
 * Docker image: those build it at run time). One built for other pages than this server registers, or whose bundle
 * changed since the build, is refused with the reason rather than served.
 */
export function readPrebuiltConsole(pages: readonly [string, AdminPage][], root = packageRoot()): ConsoleBundle | undefined {
  const dir = join(root, PREBUILT_DIR);
  if (!existsSync(join(dir, MANIFEST))) return undefined;
  const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  const wanted = consoleEntries(pages);
  if (JSON.stringify(manifest.pages) !== JSON.stringify(wanted)) {
    const names = (list: { path: string }[]) => list.map((p) => p.path).join(', ') || '(none)';
    throw new Error(
      `the console in ${dir} was built for the pages ${names(manifest.pages)}, but this server registers ${names(wanted)}: run authserver build again`,
    );
  }
  const file = join(dir, manifest.file);
  if (!existsSync(file)) throw new Error(`the console's bundle ${file} is missing: run authserver build again`);
  const bundle = consoleBundle(readFileSync(file), manifest.inputs);
  if (bundle.file !== manifest.file) throw new Error(`the console's bundle ${file} changed since it was built: run authserver build again`);
  return bundle;
}
