/**
 * The cost of DPoP on client_credentials: the same server (compiled, SQLite, default plugins, rate limit off), the
 * same confidential client, requests with and without a fresh DPoP proof each, alternating run by run. With a proof
 * the server verifies a signature, computes a thumbprint and inserts the jti into the replay store. Aim (issue 7):
 * at most 25 % fewer tokens per second than without, i.e. a req/s ratio of at least 0.75.
 *
 *   npm run bench:dpop [-- --duration 5 --runs 3 --connections 50] [--source] [--smoke]
 *   (or: node --conditions=authplane-source --import tsx bench/dpop.ts …)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './lib/build.js';
import { LOAD_CORE, machineSummary, pinned, pinSelf } from './lib/cpu.js';
import type { LoadRequest, LoadResult, ScenarioSummary, SideSummary } from './lib/load.js';
import { benchOptions, isMain, type BenchOptions } from './lib/options.js';
import { printComparison } from './lib/report.js';
import { BENCH_ADMIN_KEY, startAuthPlane, type RunningServer } from './lib/servers.js';
import { fixed, formatTable, median } from './lib/stats.js';

const WORKER = join(import.meta.dirname, 'dpop-load-worker.mjs');
const RESOURCE = 'https://bench.example.com/mcp';
/** The aim from issue 7: DPoP costs at most a quarter of the throughput. */
const MIN_RATIO = 0.75;

interface TokenLoad {
  request: LoadRequest;
  /** The token endpoint as the issuer names it: what a proof's htu must say (not the loopback address). */
  htu: string;
}

/** CPU seconds (user + system) the process has used so far, from /proc (Linux; NaN elsewhere). */
function cpuSeconds(pid: number): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th of the whole line.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function runDpopLoad(target: TokenLoad, dpop: boolean, load: { seconds?: number; amount?: number; connections: number }) {
  const options = {
    url: target.request.url,
    headers: target.request.headers,
    body: target.request.body,
    connections: load.connections,
    dpop: dpop ? { htu: target.htu } : false,
    ...(load.amount ? { amount: load.amount } : { duration: load.seconds ?? 5 }),
  };
  const [command, args] = pinned(LOAD_CORE, process.execPath, [WORKER, JSON.stringify(options)]);
  return new Promise<LoadResult>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`DPoP load generator exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult);
    });
  });
}

async function admin(server: RunningServer, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.adminUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** A resource and a machine client, made through the admin API as an operator would. */
async function tokenLoad(server: RunningServer): Promise<TokenLoad> {
  await admin(server, '/admin/resources', {
    slug: 'bench',
    display_name: 'Bench MCP',
    uri: RESOURCE,
    backend_kind: 'mint',
    scopes: [{ name: 'tools/read', description: 'Read tools' }],
  });
  const client = await admin(server, '/admin/clients', {
    client_name: 'bench machine',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'tools/read',
  });
  const discovery = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { token_endpoint: string };
  const request: LoadRequest = {
    url: `${server.url}/oauth/token`,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE, scope: 'tools/read' }).toString(),
  };
  return { request, htu: discovery.token_endpoint };
}

function summarize(server: string, runs: LoadResult[]): SideSummary {
  return {
    server,
    runs,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    failures: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
  };
}

export async function benchDpop(options: BenchOptions): Promise<{ text: string; summaries: ScenarioSummary[] }> {
  pinSelf(LOAD_CORE);
  const mode = options.source ? 'source' : 'compiled';
  if (mode === 'compiled') ensureBuilt((line) => process.stderr.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-dpop-'));
  // The per-IP limit would measure itself, not the token endpoint: one load generator is one address.
  const server = await startAuthPlane({ dir, mode, logLevel: options.logLevel, env: { AUTHPLANE_RATE_LIMIT_ENABLED: 'false' } });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const request = await tokenLoad(server);
    const probe = await runDpopLoad(request, true, { amount: 20, connections: 1 });
    if (probe.non2xx || probe.errors) {
      throw new Error(`DPoP token requests fail (${probe.non2xx} non-2xx): is the dpop plugin in the default preset?`);
    }
    const load = options.smoke
      ? { amount: 200, connections: options.connections }
      : { seconds: options.duration, connections: options.connections };
    if (options.warmup > 0) {
      for (const dpop of [false, true]) await runDpopLoad(request, dpop, { seconds: options.warmup, connections: options.connections });
    }
    const runs = { bearer: [] as LoadResult[], dpop: [] as LoadResult[] };
    // Server CPU per token: unlike req/s it barely moves when other work shares the machine.
    const cpuPerToken = { bearer: [] as number[], dpop: [] as number[] };
    for (let round = 1; round <= options.runs; round++) {
      for (const dpop of [true, false]) {
        const before = cpuSeconds(server.pid);
        const result = await runDpopLoad(request, dpop, load);
        cpuPerToken[dpop ? 'dpop' : 'bearer'].push(((cpuSeconds(server.pid) - before) * 1e6) / result.total);
        log(`run ${round}/${options.runs} client_credentials ${dpop ? 'with' : 'without'} DPoP: ${Math.round(result.rps)} req/s`);
        runs[dpop ? 'dpop' : 'bearer'].push(result);
      }
    }
    const summaries: ScenarioSummary[] = [
      { name: 'client_credentials', ours: summarize('authplane + DPoP', runs.dpop), theirs: summarize('authplane, Bearer', runs.bearer) },
    ];
    const ratio = summaries[0]!.ours.rps / summaries[0]!.theirs!.rps;
    const cpu = { dpop: median(cpuPerToken.dpop), bearer: median(cpuPerToken.bearer) };
    const cpuRatio = cpu.bearer / cpu.dpop;
    const text = [
      `## DPoP on client_credentials (${options.smoke ? 'smoke: 200 requests' : `${options.runs} × ${options.duration} s, median`}, ${options.connections} connections, warm-up ${options.warmup} s)`,
      machineSummary(),
      `authplane: ${mode}, SQLite, default plugins, rate limit off, log level ${options.logLevel}; a fresh ES256 proof per request`,
      '',
      printComparison(summaries),
      '',
      formatTable(
        ['Server', 'server CPU µs per token (median)', 'tokens per CPU second'],
        [
          ['authplane + DPoP', fixed(cpu.dpop), fixed(1e6 / cpu.dpop)],
          ['authplane, Bearer', fixed(cpu.bearer), fixed(1e6 / cpu.bearer)],
        ],
      ),
      '',
      `DPoP keeps ${(ratio * 100).toFixed(0)} % of the Bearer req/s and ${(cpuRatio * 100).toFixed(0)} % of its tokens per CPU second ` +
        `(aim: at least ${MIN_RATIO * 100} %)${Math.min(ratio, cpuRatio) >= MIN_RATIO ? '' : ' — BELOW AIM'}`,
    ].join('\n');
    return { text, summaries };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { text } = await benchDpop(benchOptions());
  console.log(text);
}
