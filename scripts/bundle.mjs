// Second build step (after tsc): bundles the compiled kernel, plugins, CLI and test kit — and the dependencies they import —
// into a few ES modules under dist/bundle/, which the package's entry points and the `authserver` binary load.
// Startup then reads a handful of files instead of ~1,000 (our modules, knex, koa, lodash, ajv…): that and the
// compile work they cost were most of `authserver serve`'s cold start and idle memory. Entry points share chunks,
// so a config file importing 'authplane' gets the very modules the CLI runs (one ProblemError class, one kernel).
// Native addons, optional drivers and what loads only on demand stay ordinary packages.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Compiled by tsc a moment ago (npm run build runs it first).
import { commonMediaTypes, EXTERNAL_PACKAGES, NODE_FLAGS, REQUIRE_BANNER, unusedKnexDialects } from '../dist/kernel/cli/bundle-options.js';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');

/**
 * Left outside the bundle: what every bundle leaves (kernel/cli/bundle-options.ts, shared with `authserver build`),
 * and for the package also pg and the OpenTelemetry SDK, which its users' node_modules hold anyway.
 */
const EXTERNAL = [...EXTERNAL_PACKAGES, 'pg', '@opentelemetry/sdk-node', '@opentelemetry/exporter-trace-otlp-http'];

mkdirSync(join(dist, 'bundle-input'), { recursive: true });

// Config validators compiled now rather than at every boot (see scripts/precompile-config.ts).
const precompiledFile = join(dist, 'bundle-input/precompiled-config.js');
const precompiled = spawnSync(
  process.execPath,
  ['--conditions=authplane-source', '--import', 'tsx', join(root, 'scripts/precompile-config.ts'), precompiledFile, join(dist, 'kernel/config/formats.js')],
  { cwd: root, stdio: 'inherit' },
);
if (precompiled.status !== 0) throw new Error('precompiling the config validators failed');
const precompiledValidators = {
  name: 'precompiled-validators',
  setup(b) {
    b.onResolve({ filter: /^\.\/precompiled\.js$/ }, (args) =>
      args.importer.endsWith(join('kernel', 'config', 'validate.js')) ? { path: precompiledFile } : undefined,
    );
  },
};

await build({
  plugins: [unusedKnexDialects, commonMediaTypes, precompiledValidators],
  minifyWhitespace: true,
  absWorkingDir: root,
  entryPoints: {
    'kernel/index': 'dist/kernel/index.js',
    'plugins/index': 'dist/plugins/index.js',
    'plugins/preset-default': 'dist/plugins/preset-default.js',
    'testing/index': 'dist/testing/index.js',
    'bin/authserver': 'dist/bin/authserver.js',
  },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The package imports itself by name; inside the bundle that is the compiled kernel, not the exports map
  // (which points here).
  alias: { authplane: './dist/kernel/index.js', 'authplane/plugins': './dist/plugins/index.js' },
  external: EXTERNAL,
  banner: { js: REQUIRE_BANNER },
  legalComments: 'linked',
  logLevel: 'warning',
});

// The binary keeps its path (Docker ENTRYPOINT, package.json "bin"); it is now a two-line shim into the bundle.
const bin = join(dist, 'bin/authserver.js');
writeFileSync(bin, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}\nimport '../bundle/bin/authserver.js';\n`);
chmodSync(bin, 0o755);
rmSync(join(dist, 'bundle-input'), { recursive: true, force: true });
