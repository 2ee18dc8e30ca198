/**
 * Where our server spends its CPU under one scenario's load: starts it with `--cpu-prof` (pinned like the
 * benchmark), applies the load, stops it and prints the heaviest functions and packages by self time. The
 * .cpuprofile is kept for Chrome DevTools / speedscope.
 *
 *   node --conditions=authplane-source --import tsx bench/profile.ts [--scenario cc|introspection|jwks|discovery|code|pkjwt|id-jag]
 *     [--duration 8 | --amount 5000] [--connections 50] [--log-level warn] [--postgres] [--source] [--top 30]
 *     [--no-profile --runs 3]   (just the figures: req/s and server CPU per request, no profiler overhead)
 *     [--env K=V,…]             (extra environment for the server, e.g. NODE_OPTIONS=--require=./probe.cjs)
 *     [--alloc]                 (bytes allocated per request, by function, instead of CPU: see lib/alloc-probe.cjs)
 *     [--alloc --promoted]      (only what outlived the young generation: the garbage that makes major collections)
 *     [--alloc-interval 1024] [--keep-alloc FILE]   (sampling interval in bytes; keep the .heapprofile)
 *     [--gc]                    (V8's account of the collections in the measured runs: pauses, survivors, promoted bytes)
 *     [--node="--flag …"]       (node / V8 flags ahead of the binary's own, e.g. --node="--trace-gc")
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freshPostgresDatabase } from '../test/helpers/postgres.js';
import { ensureBuilt, REPO_ROOT } from './lib/build.js';
import { LOAD_CORE, pinSelf } from './lib/cpu.js';
import { assertionRequests, JWT_PLUGINS } from './lib/assertions.js';
import { introspectionRequest, mintCodes, prepareOurs, send } from './lib/fixtures.js';
import { runLoad, type LoadRequest } from './lib/load.js';
import { cpuSeconds } from './lib/proc.js';
import { startAuthPlane, writeOAuthConfig } from './lib/servers.js';
import { formatTable } from './lib/stats.js';
import { parseGcTrace, printGcSummary } from './lib/gc-trace.js';
import { envList } from './lib/options.js';

interface AllocNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: AllocNode[];
}
interface AllocProfile {
  head: AllocNode;
  samples: { size: number; nodeId: number }[];
  error?: string;
}

/** Bytes allocated per request: in all, and by the function that allocated them (self, not inclusive). */
function printAllocations(profile: AllocProfile, requests: number, top: number, what: string): void {
  if (profile.error || !profile.head) throw new Error(`allocation sampling failed: ${profile.error ?? 'no profile'}`);
  const frames = new Map<number, AllocNode['callFrame']>();
  const walk = (node: AllocNode) => {
    frames.set(node.id, node.callFrame);
    node.children?.forEach(walk);
  };
  walk(profile.head);
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const { size, nodeId } of profile.samples) {
    total += size;
    const f = frames.get(nodeId)!;
    const at = f.url.replace(`file://${REPO_ROOT}/`, '').replace(/.*node_modules\//, '');
    const key = `${f.functionName || '(anonymous)'} ${at}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + size);
  }
  const rows = [...byFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, bytes]) => [fn, `${Math.round(bytes / requests)} B`, `${((bytes / total) * 100).toFixed(1)} %`]);
  console.log(`\n${what} per request: ${Math.round(total / requests)} bytes (${requests} requests sampled)`);
  console.log(`\n${formatTable(['function (self)', 'per request', 'share'], rows)}`);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'cc' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    'log-level': { type: 'string', default: 'warn' },
    postgres: { type: 'boolean', default: false },
    source: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
    // Requests per run of the scenarios whose bodies are single use (code, pkjwt, id-jag), instead of --duration.
    amount: { type: 'string', default: '5000' },
    profile: { type: 'boolean', default: true },
    runs: { type: 'string', default: '1' },
    env: { type: 'string', default: '' },
    alloc: { type: 'boolean', default: false },
    promoted: { type: 'boolean', default: false },
    // Bytes between samples: 1024 sees small sites but slows the server ~2×, so requests live longer than under the
    // benchmark and more of them outlive the young generation; 16384–32768 keep it near full speed.
    'alloc-interval': { type: 'string', default: '1024' },
    // Where to copy the sampled .heapprofile (Chrome DevTools' Memory tab reads it) for reading whole call stacks.
    'keep-alloc': { type: 'string' },
    gc: { type: 'boolean', default: false },
    node: { type: 'string', default: '' },
  },
  allowNegative: true,
});
pinSelf(LOAD_CORE);
const mode = values.source ? 'source' : 'compiled';
if (mode === 'compiled') ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), 'authplane-profile-'));
const profileDir = join(dir, 'profile');
const allocFile = join(dir, 'alloc.heapprofile');
const gcFile = join(dir, 'gc.log');
// Allocation sampling replaces the CPU profile: the two profilers would distort each other's figures.
const cpuProfile = values.profile && !values.alloc;
const assertions = values.scenario === 'pkjwt' || values.scenario === 'id-jag';
const cleanups: (() => unknown)[] = [];
const dsn = values.postgres ? await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) }) : undefined;
const server = await startAuthPlane({
  dir,
  mode,
  logLevel: values['log-level'],
  args: ['--config', writeOAuthConfig(dir, mode, undefined, assertions ? JWT_PLUGINS : [])],
  nodeArgs: [
    ...(cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    ...(values.gc ? ['--trace-gc-nvp'] : []),
    ...values.node.split(' ').filter(Boolean),
  ],
  ...(values.gc ? { stdout: gcFile } : {}),
  env: {
    ...(values.alloc
      ? {
          NODE_OPTIONS: `--require=${join(REPO_ROOT, 'bench/lib/alloc-probe.cjs')}`,
          AUTHPLANE_BENCH_ALLOC_FILE: allocFile,
          AUTHPLANE_BENCH_ALLOC_INTERVAL: values['alloc-interval'],
          ...(values.promoted ? { AUTHPLANE_BENCH_ALLOC_OLD_ONLY: '1' } : {}),
        }
      : {}),
    AUTHPLANE_RATE_LIMIT_ENABLED: 'false',
    ...(dsn ? { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: dsn } : {}),
    ...envList(values.env),
  },
});
try {
  const fixture = await prepareOurs(server, { codes: values.scenario === 'code' });
  const seconds = Number(values.duration);
  const connections = Number(values.connections);
  let request: LoadRequest | undefined;
  /** Writes a fresh file of single-use bodies (codes, assertions) before each run. */
  let refill: ((count: number) => Promise<LoadRequest>) | undefined = await assertionRequests(values.scenario!, fixture, join(dir, 'bodies.txt'), cleanups);
  if (!refill) switch (values.scenario) {
    case 'cc':
      request = fixture.tokenRequest;
      break;
    case 'introspection':
      request = introspectionRequest(`${server.url}/oauth/introspect`, fixture.machineAuth, String((await send(fixture.tokenRequest)).access_token));
      break;
    case 'jwks':
      request = { url: `${server.url}/.well-known/jwks.json` };
      break;
    case 'discovery':
      request = { url: `${server.url}/.well-known/openid-configuration` };
      break;
    case 'code': {
      const file = join(dir, 'codes.txt');
      refill = async (count) => {
        await mintCodes(fixture, count, file);
        return { url: `${server.url}/oauth/token`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, bodiesFile: file };
      };
      break;
    }
    default:
      throw new Error(`unknown scenario ${values.scenario}`);
  }
  const amount = Number(values.amount);
  let measuredRequests = 0;
  let gcFrom = 0;
  if (values.alloc || values.gc) {
    // Warm first (JIT, caches, pools), then sample exactly the measured run.
    await runLoad(refill ? await refill(Math.min(amount, 500)) : request!, refill ? { amount: Math.min(amount, 500), connections } : { seconds: 2, connections });
    if (values.alloc) process.kill(server.pid, 'SIGUSR2');
    gcFrom = values.gc ? statSync(gcFile).size : 0;
  }
  for (let run = 0; run < Number(values.runs); run++) {
    const load = refill ? await refill(amount) : request!;
    const before = cpuSeconds(server.pid);
    const result = await runLoad(load, refill ? { amount, connections } : { seconds, connections });
    const cpuUs = ((cpuSeconds(server.pid) - before) * 1e6) / result.total;
    measuredRequests += result.total;
    console.log(
      `${values.scenario}: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
        `server CPU ${cpuUs.toFixed(0)} µs/req, ${result.non2xx} non-2xx`,
    );
  }
  if (values.alloc) {
    process.kill(server.pid, 'SIGUSR2');
    const deadline = Date.now() + 30_000;
    while (!existsSync(allocFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(allocFile)) throw new Error('the server wrote no allocation profile (is NODE_OPTIONS overridden by --env?)');
    if (values['keep-alloc']) copyFileSync(allocFile, values['keep-alloc']);
    printAllocations(
      JSON.parse(readFileSync(allocFile, 'utf8')) as AllocProfile,
      measuredRequests,
      Number(values.top),
      values.promoted ? 'outlived the young generation' : 'allocated',
    );
  }
  if (values.gc) printGcSummary(parseGcTrace(readFileSync(gcFile).subarray(gcFrom).toString('utf8')), measuredRequests);
} finally {
  await server.stop();
  for (const cleanup of cleanups) await cleanup();
}

if (!cpuProfile) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no .cpuprofile written');
const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as { nodes: ProfileNode[] };
const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
const where = (url: string, functionName: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  if (url.startsWith('file://')) return url.replace(`file://${REPO_ROOT}/`, '').split('/').slice(0, 2).join('/');
  return url || functionName || '(native)';
};
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const fn = `${functionName || '(anonymous)'} ${url.replace(`file://${REPO_ROOT}/`, '').replace(/.*node_modules\//, '')}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  const pkg = where(url, functionName);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
}
const top = (map: Map<string, number>, n: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, `${((v / total) * 100).toFixed(1)} %`]);
console.log(`\nself time by package (${total} samples)\n${formatTable(['package', 'self'], top(byPackage, 25))}`);
console.log(`\nself time by function\n${formatTable(['function', 'self'], top(byFunction, Number(values.top)))}`);
const kept = join(tmpdir(), `authplane-${values.scenario}-${Date.now()}.cpuprofile`);
rmSync(kept, { force: true });
copyFileSync(join(profileDir, file), kept);
console.log(`\nprofile: ${kept}`);
rmSync(dir, { recursive: true, force: true });
