// Second build step (after tsc): bundles the compiled kernel, plugins and CLI — and the dependencies they import —
// into a few ES modules under dist/bundle/, which the package's entry points and the `authserver` binary load.
// Startup then reads a handful of files instead of ~1,000 (our modules, knex, koa, lodash, ajv…): that and the
// compile work they cost were most of `authserver serve`'s cold start and idle memory. Entry points share chunks,
// so a config file importing 'authplane' gets the very modules the CLI runs (one ProblemError class, one kernel).
// Native addons, optional drivers and what loads only on demand stay ordinary packages.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');

/** Loaded from node_modules at run time: native code, drivers knex may name but we never use, on-demand tooling. */
const EXTERNAL = [
  'better-sqlite3',
  'pg',
  'pg-native',
  'pg-query-stream',
  'sqlite3',
  'mysql',
  'mariadb',
  'mariadb/*',
  'mysql2',
  'oracledb',
  'tedious',
  'tsx',
  'tsx/*',
  '@opentelemetry/sdk-node',
  '@opentelemetry/exporter-trace-otlp-http',
];

/** knex dialects for databases we do not drive: left in node_modules (knex loads a dialect only when configured). */
const UNUSED_KNEX_DIALECTS = new Set(['cockroachdb', 'mssql', 'mysql', 'mariadb', 'mysql2', 'oracle', 'oracledb', 'pgnative', 'redshift']);
const unusedKnexDialects = {
  name: 'unused-knex-dialects',
  setup(b) {
    b.onResolve({ filter: /^\.\/[a-z0-9]+$/ }, (args) => {
      const name = args.path.slice(2);
      if (!args.importer.endsWith('knex/lib/dialects/index.js') || !UNUSED_KNEX_DIALECTS.has(name)) return undefined;
      return { path: `knex/lib/dialects/${name}/index.js`, external: true };
    });
  },
};

/**
 * koa (through mime-types) loads mime-db's 2,500 media types and ranks every extension at startup: tens of
 * milliseconds of every cold start for a server that writes JSON, HTML and text. The bundle carries the families
 * a web server plausibly names by extension (text, image, font, audio, video, the JSON/XML/JOSE application types,
 * archives); any full `type/subtype` still works as given, only an extension outside these is unknown.
 */
const KEPT_MEDIA_TYPES =
  /^(text|image|font|audio|video)\/|^multipart\/form-data$|^application\/(json|javascript|ecmascript|xml|octet-stream|x-www-form-urlencoded|pdf|zip|gzip|wasm|x-tar|yaml|x-yaml|toml|graphql|sql|x-ndjson|xhtml\+xml|atom\+xml|rss\+xml|manifest\+json|ld\+json|problem\+(json|xml)|vnd\.api\+json|(merge|json)-patch\+json|scim\+json|jwk(-set)?\+json|jwt|jose(\+json)?|[a-z-]+\+jwt|pkix-cert|pkcs8|x-x509-ca-cert|pem-certificate-chain)$/;
const mediaTypesFile = join(dist, 'bundle-input/mime-db.json');
mkdirSync(join(dist, 'bundle-input'), { recursive: true });
const mimeDb = JSON.parse(readFileSync(join(root, 'node_modules/mime-db/db.json'), 'utf8'));
writeFileSync(mediaTypesFile, JSON.stringify(Object.fromEntries(Object.entries(mimeDb).filter(([type]) => KEPT_MEDIA_TYPES.test(type)))));
const commonMediaTypes = {
  name: 'common-media-types',
  setup(b) {
    b.onResolve({ filter: /^mime-db$/ }, () => ({ path: mediaTypesFile }));
  },
};

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
  alias: { authplane: './dist/kernel/index.js' },
  external: EXTERNAL,
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __authplaneRequire } from 'node:module'; const require = __authplaneRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning',
});

/**
 * V8 flags the server runs with, in the binary's shebang (and the Dockerfile's ENTRYPOINT, which a build test keeps
 * equal). A young generation of 8 MiB semi-spaces instead of V8's 16 MiB keeps about 17 MiB off the resident peak
 * under load — the server allocates short-lived objects per request, few survive a scavenge — for a few percent
 * more scavenging. The old generation is collected when it has grown by half over what the last full collection
 * kept, rather than V8's adaptive factor of up to 4×: the server's live heap is small (~15 MiB) and what it
 * promotes is mostly requests that were in flight at a scavenge, so with the default the old space filled with
 * ~40 MiB of garbage under load before a full collection; at 1.5× the peak under client_credentials load was
 * ~30 MiB lower for no measurable CPU (bench/compare.ts). The collector runs on the main thread only
 * (`--single-threaded-gc`): V8's helper threads (parallel scavenge, concurrent marking and sweeping) only pay off
 * with a core to spare, and on one core — a container limited to one CPU, the benchmark's pinned server — they are
 * scheduled in slices of several milliseconds between request handling; measured on one core (bench/compare.ts, same
 * run) client_credentials went +4 % (SQLite) / +8 % (PostgreSQL) req/s with p99 20 → 16.5 / 28.5 → 17 ms,
 * introspection +5 %; with two cores it changed nothing measurable (−3 % CPU, req/s and p99 equal), as the heap is
 * too small for parallel collection to win back its coordination. `node dist/bin/authserver.js` (without the
 * shebang) runs with V8's defaults or NODE_OPTIONS.
 */
const NODE_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=50', '--single-threaded-gc'];

// The binary keeps its path (Docker ENTRYPOINT, package.json "bin"); it is now a two-line shim into the bundle.
const bin = join(dist, 'bin/authserver.js');
writeFileSync(bin, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}\nimport '../bundle/bin/authserver.js';\n`);
chmodSync(bin, 0o755);
rmSync(join(dist, 'bundle-input'), { recursive: true, force: true });
