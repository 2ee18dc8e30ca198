/**
 * What every esbuild bundle of the server shares: `npm run build` (scripts/bundle.mjs, which imports the compiled
 * copy of this file) and `authserver build`. Kept in one place so the package's bundle and a minimal build leave
 * the same packages outside and start node with the same flags.
 */
import type { Plugin } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Loaded from node_modules at run time: native code, drivers knex may name but we never use, on-demand tooling. */
export const EXTERNAL_PACKAGES: readonly string[] = [
  'better-sqlite3',
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
  'esbuild',
];

/** knex dialects for databases we do not drive: never bundled (knex loads a dialect only when configured). */
export const UNUSED_KNEX_DIALECTS: ReadonlySet<string> = new Set([
  'cockroachdb',
  'mssql',
  'mysql',
  'mariadb',
  'mysql2',
  'oracle',
  'oracledb',
  'pgnative',
  'redshift',
]);

/** An esbuild plugin leaving knex's unused dialects (and any of `also`) external: bundled, they would bring their drivers. */
export function knexDialectsOutside(also: readonly string[] = []): Plugin {
  const outside = new Set([...UNUSED_KNEX_DIALECTS, ...also]);
  return {
    name: 'unused-knex-dialects',
    setup(build) {
      build.onResolve({ filter: /^\.\/[a-z0-9]+$/ }, (args) => {
        const name = args.path.slice(2);
        if (!/knex[\\/]lib[\\/]dialects[\\/]index\.js$/.test(args.importer) || !outside.has(name)) return undefined;
        return { path: `knex/lib/dialects/${name}/index.js`, external: true };
      });
    },
  };
}

export const unusedKnexDialects: Plugin = knexDialectsOutside();

/**
 * koa (through mime-types) loads mime-db's 2,500 media types and ranks every extension at startup: tens of
 * milliseconds of every cold start for a server that writes JSON, HTML and text. The bundle carries the families
 * a web server plausibly names by extension (text, image, font, audio, video, the JSON/XML/JOSE application types,
 * archives); any full `type/subtype` still works as given, only an extension outside these is unknown.
 */
const KEPT_MEDIA_TYPES =
  /^(text|image|font|audio|video)\/|^multipart\/form-data$|^application\/(json|javascript|ecmascript|xml|octet-stream|x-www-form-urlencoded|pdf|zip|gzip|wasm|x-tar|yaml|x-yaml|toml|graphql|sql|x-ndjson|xhtml\+xml|atom\+xml|rss\+xml|manifest\+json|ld\+json|problem\+(json|xml)|vnd\.api\+json|(merge|json)-patch\+json|scim\+json|jwk(-set)?\+json|jwt|jose(\+json)?|[a-z-]+\+jwt|pkix-cert|pkcs8|x-x509-ca-cert|pem-certificate-chain)$/;

/** An esbuild plugin bundling every copy of mime-db with only the KEPT_MEDIA_TYPES. */
export const commonMediaTypes: Plugin = {
  name: 'common-media-types',
  setup(build) {
    build.onResolve({ filter: /^mime-db$/ }, (args) => ({
      path: createRequire(args.importer).resolve('mime-db/db.json'),
      namespace: 'common-media-types',
    }));
    build.onLoad({ filter: /.*/, namespace: 'common-media-types' }, (args) => {
      const all = JSON.parse(readFileSync(args.path, 'utf8')) as Record<string, unknown>;
      return { contents: JSON.stringify(Object.fromEntries(Object.entries(all).filter(([type]) => KEPT_MEDIA_TYPES.test(type)))), loader: 'json' };
    });
  },
};

/**
 * V8 flags the server runs with, in the binary's shebang (and the Dockerfile's ENTRYPOINT, which a build test keeps
 * equal). The server allocates short-lived objects per request and keeps a small live heap, so: a smaller young
 * generation (few objects survive a scavenge), a full collection once the old generation has grown by half (what it
 * promotes is mostly requests in flight at a scavenge), and collection on the main thread only (helper threads pay
 * off only with a core to spare). What each flag measured is in docs/performance.md ("Start-up and the collector").
 * `node dist/bin/authserver.js` (without the shebang) runs with V8's defaults or NODE_OPTIONS.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=50', '--single-threaded-gc'];

/** Bundled CommonJS dependencies call require(); an ES module has none of its own. */
export const REQUIRE_BANNER =
  "import { createRequire as __authplaneRequire } from 'node:module'; const require = __authplaneRequire(import.meta.url);";
