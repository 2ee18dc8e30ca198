/**
 * The console's JavaScript, built by esbuild from the shell (admin-ui/src) and the modules of the pages registered
 * in `adminPages` — so a server without a plugin has no code of its pages. Built once per process, on the first
 * request for the console, and kept in memory with its gzip and hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { AdminPage } from 'authplane';

export interface ConsoleBundle {
  /** `console-<hash>.js`, the asset's URL name under /admin/ui/assets/. */
  file: string;
  js: Buffer;
  gzip: Buffer;
  etag: string;
  /** Input modules with code in the bundle (paths relative to the package root), for tests and the docs. */
  inputs: string[];
}

/** The authplane package's root (its package.json), found from this module: a checkout, or node_modules/authplane. */
export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'authplane') return dir;
    dir = dirname(dir);
  }
  throw new Error(`admin-ui: the authplane package is not above ${from}`);
}

/**
 * A page's module as a file path. Compiled plugins (dist/plugins/…) name their page sources by their compiled
 * location; the sources are shipped beside dist, unchanged, so the same path without `dist/` is tried next, and a
 * `.js` name is tried as `.ts`. In the esbuild bundle (dist/bundle/…, what the package's entry points load) a
 * plugin's folder is gone from the path: its page is then found by file name among the shipped plugins' pages.
 */
export function pageModulePath(page: AdminPage, root: string): string {
  const path = page.module.startsWith('file:') ? fileURLToPath(page.module) : page.module;
  const candidates = [path, path.replace(/\.js$/, '.ts')];
  const inDist = join(root, 'dist') + '/';
  if (path.startsWith(inDist)) {
    const source = join(root, path.slice(inDist.length));
    candidates.push(source, source.replace(/\.js$/, '.ts'));
  }
  const found = candidates.find((c) => existsSync(c)) ?? (path.startsWith(inDist) ? shippedPage(root, basename(path)) : undefined);
  if (!found) throw new Error(`admin page '${page.path}': its module ${page.module} does not exist`);
  return found;
}

/** The one `plugins/<name>/admin-ui/<file>` of the package with this file name (`.js` read as `.ts`). */
function shippedPage(root: string, file: string): string | undefined {
  const plugins = join(root, 'plugins');
  if (!existsSync(plugins)) return undefined;
  const names = [...new Set([file, file.replace(/\.js$/, '.ts')])];
  const found = readdirSync(plugins).flatMap((plugin) => names.map((name) => join(plugins, plugin, 'admin-ui', name))).filter((c) => existsSync(c));
  return found.length === 1 ? found[0] : undefined;
}

const RESOLVING = Symbol('resolving');

/** What the shell is started with for these pages: their navigation entries, in registration order. */
export function consoleEntries(pages: readonly [string, AdminPage][]) {
  return pages.map(([, page]) => ({
    path: page.path,
    title: page.title,
    icon: page.icon,
    element: page.element,
    permission: page.permission,
    section: page.section ?? 'Manage',
    order: page.order ?? 100,
  }));
}

export async function buildConsole(pages: readonly [string, AdminPage][], owners: (path: string) => string | undefined): Promise<ConsoleBundle> {
  const root = packageRoot();
  const shell = join(root, 'admin-ui/src');
  const entries = consoleEntries(pages);
  const contents = [
    ...pages.map(([, page]) => `import ${JSON.stringify(pageModulePath(page, root))};`),
    `import { startConsole } from ${JSON.stringify(join(shell, 'app/main.ts'))};`,
    `startConsole(${JSON.stringify(entries)});`,
  ].join('\n');
  const esbuild = await import('esbuild');
  let result;
  try {
    result = await esbuild.build({
      stdin: { contents, resolveDir: shell, loader: 'ts', sourcefile: 'console-entry.ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      minify: true,
      write: false,
      outdir: join(root, '.admin-ui-out'),
      absWorkingDir: root,
      // Pages of user plugins import lit and the shell without installing them: both come from this package.
      nodePaths: [join(root, 'node_modules')],
      loader: { '.css': 'text' },
      legalComments: 'none',
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'authplane-admin-ui',
          setup(b) {
            b.onResolve({ filter: /^authplane\/admin-ui$/ }, () => ({ path: join(shell, 'public.ts'), sideEffects: true }));
            // Elements define themselves when imported, but the authplane package (and a user plugin's) says
            // `"sideEffects": false` for the server's sake: console modules outside node_modules keep their imports.
            b.onResolve({ filter: /^[./]/ }, async (args) => {
              if (args.pluginData === RESOLVING) return undefined;
              const resolved = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
              if (resolved.errors.length || resolved.path.includes('/node_modules/')) return resolved;
              return { ...resolved, sideEffects: true };
            });
          },
        },
      ],
    });
  } catch (cause) {
    const errors = (cause as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const lines = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text));
    const owner = pages.find(([path]) => lines.some((l) => l.includes(path)))?.[0];
    throw new Error(`the admin console cannot be built${owner ? ` (page '${owner}' of ${owners(owner)})` : ''}: ${lines.join('; ') || (cause as Error).message}`, { cause });
  }
  const output = result.outputFiles.find((f) => f.path.endsWith('.js'))!;
  const js = Buffer.from(output.contents);
  const inputs = Object.values(result.metafile.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([file]) => file),
  );
  return consoleBundle(js, inputs);
}

/** The served form of a bundle's bytes: its hashed name, gzip and ETag. */
export function consoleBundle(js: Buffer, inputs: string[]): ConsoleBundle {
  const hash = createHash('sha256').update(js).digest('base64url').slice(0, 16);
  return { file: `console-${hash}.js`, js, gzip: gzipSync(js, { level: 9 }), etag: `"${hash}"`, inputs };
}
