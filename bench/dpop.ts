/**
 * The cost of DPoP on client_credentials: the same server (compiled, SQLite, default plugins, rate limit off), the
 * same confidential client, requests with and without a fresh DPoP proof each, alternating run by run. With a proof
 * the server verifies a signature, computes a thumbprint and inserts the jti into the replay store. Aim (issue 7):
 * at most 25 % fewer tokens per second than without, i.e. a ratio of at least 0.75 — in req/s, and in tokens per
 * server CPU second, which stays meaningful when other work shares the machine.
 *
 *   node --conditions=authplane-source --import tsx bench/dpop.ts [--duration 5 --runs 3 --connections 50] [--source] [--smoke]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './lib/build.js';
import { admin } from './lib/fixtures.js';
import { LOAD_CORE, machineSummary, pinned, pinSelf } from './lib/cpu.js';
import type { LoadRequest, LoadResult } from './lib/load.js';
import { benchOptions, isMain, type BenchOptions } from './lib/options.js';
import { cpuSeconds } from './lib/proc.js';
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

interface SideFigures {
  server: string;
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU per token, µs: unlike req/s it barely moves when other work shares the machine. */
  cpuUs: number;
  failures: number;
}

function summarize(server: string, runs: readonly (LoadResult & { cpuUs: number })[]): SideFigures {
  return {
    server,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
    failures: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
  };
}

export async function benchDpop(options: BenchOptions): Promise<{ text: string; sides: SideFigures[] }> {
  pinSelf(LOAD_CORE);
  const mode = options.source ? 'source' : 'compiled';
  const logLevel = options.logLevel ?? 'info';
  if (mode === 'compiled') ensureBuilt((line) => process.stderr.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-dpop-'));
  // The per-IP limit would measure itself, not the token endpoint: one load generator is one address.
  const server = await startAuthPlane({ dir, mode, logLevel, env: { AUTHPLANE_RATE_LIMIT_ENABLED: 'false' } });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const target = await tokenLoad(server);
    const probe = await runDpopLoad(target, true, { amount: 20, connections: 1 });
    if (probe.non2xx || probe.errors) {
      throw new Error(`DPoP token requests fail (${probe.non2xx} non-2xx): is the dpop plugin in the default preset?`);
    }
    const load = options.smoke
      ? { amount: options.amount ?? 200, connections: options.connections }
      : { seconds: options.duration, connections: options.connections };
    if (options.warmup > 0) {
      for (const dpop of [false, true]) await runDpopLoad(target, dpop, { seconds: options.warmup, connections: options.connections });
    }
    const runs = { bearer: [] as (LoadResult & { cpuUs: number })[], dpop: [] as (LoadResult & { cpuUs: number })[] };
    for (let round = 1; round <= options.runs; round++) {
      // Which side goes first alternates, so drift over the benchmark hits both alike.
      for (const dpop of round % 2 ? [true, false] : [false, true]) {
        const before = cpuSeconds(server.pid);
        const result = await runDpopLoad(target, dpop, load);
        const cpuUs = ((cpuSeconds(server.pid) - before) * 1e6) / result.total;
        log(`run ${round}/${options.runs} client_credentials ${dpop ? 'with' : 'without'} DPoP: ${Math.round(result.rps)} req/s, ${Math.round(cpuUs)} µs CPU per token`);
        runs[dpop ? 'dpop' : 'bearer'].push({ ...result, cpuUs });
      }
    }
    const withDpop = summarize('authplane + DPoP', runs.dpop);
    const bearer = summarize('authplane, Bearer', runs.bearer);
    const rpsRatio = withDpop.rps / bearer.rps;
    const cpuRatio = bearer.cpuUs / withDpop.cpuUs;
    const row = (side: SideFigures, ratios: string[]) => [
      side.server + (side.failures ? ` (${side.failures} failed)` : ''),
      fixed(side.rps),
      fixed(side.p50, 1),
      fixed(side.p99, 1),
      fixed(side.cpuUs),
      fixed(1e6 / side.cpuUs),
      ...ratios,
    ];
    const text = [
      `## DPoP on client_credentials (${options.smoke ? `smoke: ${load.amount} requests` : `${options.runs} × ${options.duration} s, median`}, ${options.connections} connections, warm-up ${options.warmup} s)`,
      machineSummary(),
      `authplane: ${mode}, SQLite, default plugins, rate limit off, log level ${logLevel}; a fresh ES256 proof per request`,
      '',
      formatTable(
        ['Server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/token', 'tokens per CPU s', 'req/s ×', 'tokens per CPU s ×'],
        [row(withDpop, [fixed(rpsRatio, 2), fixed(cpuRatio, 2)]), row(bearer, ['', ''])],
      ),
      '',
      `DPoP keeps ${(rpsRatio * 100).toFixed(0)} % of the Bearer req/s and ${(cpuRatio * 100).toFixed(0)} % of its tokens per CPU second ` +
        `(aim: at least ${MIN_RATIO * 100} %; on a busy machine trust the CPU figure)`,
    ].join('\n');
    return { text, sides: [withDpop, bearer] };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const { text } = await benchDpop(benchOptions());
  console.log(text);
}
