/**
 * `authserver build`: the config file is the manifest. esbuild bundles a generated entry (import the config, run the
 * CLI with it) and so only the plugins the config imports — a plugin it does not import is absent by construction,
 * as the kernel never imports plugins/ and plugins have no top-level side effects. What cannot be bundled (native
 * addons) is copied beside it, so the output directory runs on its own: `node <out>/authserver.js serve`.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG_FILE, loadConfigFile } from '../config/load.js';
import { BootError } from '../errors.js';
import { packageVersion } from '../version.js';
import type { BuildOptions, BuildResult, Metafile, PluginBuild } from 'esbuild';
import { commonMediaTypes, EXTERNAL_PACKAGES, knexDialectsOutside, NODE_FLAGS, REQUIRE_BANNER } from './bundle-options.js';

/** The package's own directory (holding package.json named authplane), found from this module. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'authplane') return dir;
    dir = dirname(dir);
  }
  return undefined;
}

/**
 * What `authplane` and `authplane/plugins` are bundled from: the TypeScript sources when this CLI runs from a checkout
 * (tsx), else the package's unbundled compiled modules — not dist/bundle/, whose shared chunks esbuild could not
 * tree-shake down to the imported plugins.
 */
function entryModules(): { root: string; kernel: string; plugins: string } {
  const root = packageRoot();
  const fromSource = import.meta.url.endsWith('.ts');
  const kernel = root && join(root, fromSource ? 'kernel/index.ts' : 'dist/kernel/index.js');
  const plugins = root && join(root, fromSource ? 'plugins/index.ts' : 'dist/plugins/index.js');
  if (!kernel || !plugins || !existsSync(kernel) || !existsSync(plugins)) {
    throw new BootError('AP_ERR_CLI_USAGE', 'authserver build runs from the authplane package (a checkout or node_modules/authplane), not from a build');
  }
  return { root: root!, kernel, plugins };
}

/**
 * Native addons a bundle imports, and what of each package is needed at run time (the package's own require()s
 * find these in <out>/node_modules). better-sqlite3 finds its addon through `bindings`, which looks in build/Release.
 */
const NATIVE_PACKAGES: Record<string, { files: string[]; needs: string[] }> = {
  'better-sqlite3': { files: ['package.json', 'lib', 'build/Release/better_sqlite3.node', 'LICENSE'], needs: ['bindings'] },
  bindings: { files: ['package.json', 'bindings.js', 'LICENSE.md'], needs: ['file-uri-to-path'] },
  'file-uri-to-path': { files: ['package.json', 'index.js', 'LICENSE'], needs: [] },
};

function copyPackage(name: string, from: string, outDir: string, copied: string[]): void {
  if (copied.includes(name)) return;
  const spec = NATIVE_PACKAGES[name]!;
  const source = dirname(createRequire(join(from, 'noop.js')).resolve(`${name}/package.json`));
  for (const file of spec.files) {
    if (!existsSync(join(source, file))) {
      if (file.startsWith('LICENSE')) continue;
      throw new BootError('AP_ERR_CLI_USAGE', `cannot copy ${name}: ${join(source, file)} is missing (is ${name} installed and built?)`);
    }
    cpSync(join(source, file), join(outDir, 'node_modules', name, file), { recursive: true });
  }
  copied.push(name);
  for (const dependency of spec.needs) copyPackage(dependency, source, outDir, copied);
}

/**
 * esbuild, a dependency (tsx, which loads config files, depends on it too, so it costs no install); imported only
 * here, so no other command loads it. An install without it (optional dependencies omitted, so no platform binary)
 * is told what to do.
 */
async function loadEsbuild(): Promise<typeof import('esbuild')> {
  try {
    return await import('esbuild');
  } catch (cause) {
    throw new BootError('AP_ERR_CLI_USAGE', `authserver build cannot load esbuild (${(cause as Error).message.split('\n')[0]}): run \`npm i -D esbuild\` in this project`, { cause });
  }
}

/** An output directory: absent, empty, or an earlier build (replaced); anything else is refused. */
function prepareOut(outDir: string): void {
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw new BootError('AP_ERR_CLI_USAGE', `--out ${outDir} is a file`);
    const entries = readdirSync(outDir);
    if (entries.length > 0 && !entries.includes('authserver.js')) {
      throw new BootError('AP_ERR_CLI_USAGE', `--out ${outDir} is neither empty nor an earlier build; not overwriting it`);
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
}

export interface ServerBuild {
  outDir: string;
  /** Bytes of JavaScript written (entry and chunks). */
  bundleBytes: number;
  /** Bytes of the copied native packages. */
  nativeBytes: number;
  /** Plugin directories (`plugins/<name>`) whose code is in the bundle. */
  plugins: string[];
  copied: string[];
}

/** Plugin directories (`plugins/<name>/`) with code in the output, not merely parsed. */
function pluginsInOutput(metafile: Metafile): Set<string> {
  const names = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /^(?:dist\/)?plugins\/([a-z0-9-]+)\//.exec(input);
      if (match && bytesInOutput > 0) names.add(match[1]!);
    }
  }
  return names;
}

/** plugins/index: its `export { … } from './<plugin>/index.js'` lines for the plugins in `used` only. */
function onlyPlugins(source: string, used: ReadonlySet<string>): string {
  return source
    .split('\n')
    .filter((line) => {
      const match = /^export \{[^}]*\} from '\.\/([a-z0-9-]+)\/index\.js';$/.exec(line.trim());
      return !match || used.has(match[1]!);
    })
    .join('\n');
}

function bytesUnder(path: string): number {
  const stat = statSync(path);
  return stat.isDirectory() ? readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0) : stat.size;
}

export async function buildServer(configFile: string, outDir: string): Promise<ServerBuild> {
  const { root, kernel, plugins } = entryModules();
  const esbuild = await loadEsbuild();
  prepareOut(outDir);
  const entry = [
    `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`,
    `import config from ${JSON.stringify(configFile)};`,
    "import { runCli } from 'authplane';",
    // The config is compiled in: the CLI reads no config file and has no default preset to fall back on.
    'const code = await runCli(process.argv.slice(2), { config, defaultPlugins: () => [] });',
    'process.exitCode = code;',
    // As bin/authserver.ts: a handler still running after shutdown must not keep the process alive.
    'setTimeout(() => process.exit(code), 1000).unref();',
  ].join('\n');
  const options = (resolvePlugins: (b: PluginBuild) => void, knexOutside: string[] = []): BuildOptions & { metafile: true } => ({
    plugins: [
      {
        name: 'authplane-build',
        setup(b) {
          b.onResolve({ filter: /^authplane-build:entry$/ }, () => ({ path: 'entry', namespace: 'authplane-build' }));
          b.onLoad({ filter: /.*/, namespace: 'authplane-build' }, () => ({ contents: entry, loader: 'js', resolveDir: dirname(configFile) }));
          // The config's (and the plugins') `authplane` is the package this CLI belongs to.
          b.onResolve({ filter: /^authplane$/ }, () => ({ path: kernel }));
          resolvePlugins(b);
        },
      },
      knexDialectsOutside(knexOutside),
      commonMediaTypes,
    ],
    entryPoints: { authserver: 'authplane-build:entry' },
    absWorkingDir: root,
    outdir: outDir,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    external: [...EXTERNAL_PACKAGES],
    banner: { js: REQUIRE_BANNER },
    legalComments: 'linked',
    metafile: true,
    logLevel: 'silent',
  });
  let result: BuildResult<{ metafile: true }>;
  try {
    // Tree shaking drops the plugins the config does not import, but esbuild still emits a chunk for each dynamic
    // import() it parsed (the OpenTelemetry SDK of tracing-otel, pg of storage-postgres): so a first pass finds the
    // plugins that remain, and the second bundles an `authplane/plugins` that exports only those.
    const probe = await esbuild.build({
      ...options((b) => b.onResolve({ filter: /^authplane\/plugins$/ }, () => ({ path: plugins }))),
      write: false,
    });
    const used = pluginsInOutput(probe.metafile);
    // knex's PostgreSQL dialect requires pg: without a plugin of the config that uses pg itself (storage-postgres),
    // neither is bundled, so a SQLite server carries no PostgreSQL driver.
    const kept = new Set(
      Object.values(probe.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([file]) => file)),
    );
    const pgUsed = [...kept].some(
      (file) => !file.includes('node_modules/') && probe.metafile.inputs[file]!.imports.some((i) => /node_modules\/pg\//.test(i.path)),
    );
    const index = readFileSync(plugins, 'utf8');
    result = await esbuild.build(
      options((b) => {
        b.onResolve({ filter: /^authplane\/plugins$/ }, () => ({ path: plugins, namespace: 'authplane-plugins' }));
        b.onLoad({ filter: /.*/, namespace: 'authplane-plugins' }, () => ({
          contents: onlyPlugins(index, used),
          loader: plugins.endsWith('.ts') ? 'ts' : 'js',
          resolveDir: dirname(plugins),
        }));
      }, pgUsed ? [] : ['postgres']),
    );
  } catch (cause) {
    const errors = (cause as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const problems = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text));
    const detail = problems.length ? problems.join('\n  ') : (cause as Error).message;
    throw new BootError('AP_ERR_CONFIG_LOAD', `cannot bundle ${configFile}:\n  ${detail}`, { cause, problems });
  }
  const metafile = result.metafile;
  writeFileSync(join(outDir, 'meta.json'), JSON.stringify(metafile));
  // ES modules by their extension, and the version `authserver version` reports (kernel/version.ts reads it).
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify({ name: 'authplane', version: packageVersion(), private: true, type: 'module', description: `authserver build of ${configFile}` }, null, 2)}\n`,
  );
  const imported = new Set(
    Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)),
  );
  const copied: string[] = [];
  for (const name of Object.keys(NATIVE_PACKAGES)) {
    if (imported.has(name)) copyPackage(name, root, outDir, copied);
  }
  const bundleBytes = Object.entries(metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .reduce((sum, [, o]) => sum + o.bytes, 0);
  const nativeBytes = existsSync(join(outDir, 'node_modules')) ? bytesUnder(join(outDir, 'node_modules')) : 0;
  return { outDir, bundleBytes, nativeBytes, plugins: [...pluginsInOutput(metafile)].sort(), copied };
}

/** `authserver build`'s arguments: the config (given, or ./authplane.config.ts) and --out. */
export function buildArguments(options: Record<string, string | boolean | undefined>, cwd = process.cwd()): { configFile: string; outDir: string } {
  const given = typeof options.config === 'string' ? options.config : undefined;
  const configFile = resolve(cwd, given ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(configFile)) {
    throw new BootError('AP_ERR_CLI_USAGE', `authserver build needs a config file (--config <file>): it names the plugins to bundle; ${relative(cwd, configFile) || configFile} does not exist`);
  }
  if (typeof options.out !== 'string' || options.out === '') throw new BootError('AP_ERR_CLI_USAGE', 'authserver build needs --out <dir>');
  return { configFile, outDir: resolve(cwd, options.out) };
}

/**
 * A build holds exactly the plugins its config imports, and a built server has no default preset to fall back on:
 * a config without a plugins list would build a server that cannot start, so the build refuses it up front.
 */
export async function requirePluginList(configFile: string): Promise<void> {
  const config = await loadConfigFile(configFile);
  if (config?.plugins === undefined) {
    throw new BootError(
      'AP_ERR_CONFIG_INVALID',
      `${configFile} has no plugins list; a build bundles exactly the plugins the config lists, so list them ` +
        '(e.g. plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), clientCredentials()])',
    );
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** The lines `authserver build` prints. */
export function buildReport(result: ServerBuild, steps: readonly [string, string][] = []): string[] {
  return [
    `built ${result.outDir}`,
    `  plugins   ${result.plugins.join(', ') || '(none)'}`,
    `  bundle    ${kib(result.bundleBytes)} of JavaScript (authserver.js and chunks/)`,
    `  native    ${result.copied.length ? `${result.copied.join(', ')}: ${kib(result.nativeBytes)}` : '(none)'}`,
    ...steps.map(([name, line]) => `  ${name.padEnd(9)} ${line}`),
    `  run       node ${join(result.outDir, 'authserver.js')} serve`,
  ];
}
