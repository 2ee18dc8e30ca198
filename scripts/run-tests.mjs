// Runs every test file under test/, sdk/test/ and examples/ with node:test through tsx. Node 20's runner does not
// expand globs, so the files are listed here; each file runs in its own process, two at a time (two cores).
// A full run then runs the HTTP and OAuth tests a second time with the fast paths off (AUTHPLANE_SERVER_FAST_PATHS
// =false, kernel/fast-path/): every request through plain koa and every statement through plain knex must give the
// same answers. `--fast-paths-off` runs only the files named by the filter, that way.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the second pass runs: the request path end to end (a couple of minutes, not the whole suite again). */
const FAST_PATHS_OFF = [
  'test/kernel/http.test.ts',
  'test/kernel/static-documents.test.ts',
  'test/plugins/oauth/',
  'test/plugins/introspection/',
  'test/plugins/client-credentials/grant.test.ts',
  'test/plugins/revocation/revocation.test.ts',
];

function find(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const offOnly = args.includes('--fast-paths-off');
const filter = args.filter((a) => a !== '--fast-paths-off');
const all = [...find('test'), ...find('sdk/test'), ...find('examples')].sort();
const matching = (patterns) => all.filter((f) => patterns.some((x) => f.includes(x)));
const files = filter.length === 0 ? all : matching(filter);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

function run(list, env = {}) {
  const result = spawnSync(
    process.execPath,
    ['--conditions=authplane-source', '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...list],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', ...env } },
  );
  return result.status ?? 1;
}

const OFF = { AUTHPLANE_SERVER_FAST_PATHS: 'false' };
if (offOnly) process.exit(run(files, OFF));
let status = run(files);
if (filter.length === 0) {
  console.log('\n# again with the fast paths off (AUTHPLANE_SERVER_FAST_PATHS=false)\n');
  status = run(matching(FAST_PATHS_OFF), OFF) || status;
}
process.exit(status);
