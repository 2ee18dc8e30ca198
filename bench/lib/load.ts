/**
 * Load runs: autocannon in a child process pinned to the load core, a warm-up that is thrown away, then N
 * measured runs reduced to medians. Scenarios compare two servers run by run, alternating, so drift over the
 * benchmark hits both sides alike and the ratio stays meaningful even when absolute figures move.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LOAD_CORE, pinned } from './cpu.js';
import type { BenchOptions } from './options.js';
import { median } from './stats.js';

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  rps: number;
  total: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const WORKER = join(import.meta.dirname, 'load-worker.mjs');

/** One autocannon run against one request, for `seconds` (or `amount` requests). */
export function runLoad(request: LoadRequest, load: { seconds?: number; amount?: number; connections: number }): Promise<LoadResult> {
  const options = {
    url: request.url,
    method: request.method ?? 'GET',
    headers: request.headers,
    body: request.body,
    connections: load.connections,
    pipelining: 1,
    ...(load.amount ? { amount: load.amount } : { duration: load.seconds ?? 5 }),
  };
  const [command, args] = pinned(LOAD_CORE, process.execPath, [WORKER, JSON.stringify(options)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}: ${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult);
    });
  });
}

export interface Side {
  /** Row label, e.g. `authplane` or `oidc-provider`. */
  server: string;
  request: LoadRequest;
}

export interface Scenario {
  name: string;
  ours: Side;
  /** The baseline the ratio is taken against; absent for scenarios only we can run. */
  theirs?: Side;
}

export interface SideSummary {
  server: string;
  runs: LoadResult[];
  rps: number;
  p50: number;
  p99: number;
  /** Responses that were not 2xx, plus socket errors and timeouts, over all measured runs. */
  failures: number;
}

export interface ScenarioSummary {
  name: string;
  ours: SideSummary;
  theirs?: SideSummary;
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

/** Warm-up, then `options.runs` rounds; each round runs every scenario on both sides, ours first. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  options: BenchOptions,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<ScenarioSummary[]> {
  const load = options.smoke
    ? { amount: 200, connections: options.connections }
    : { seconds: options.duration, connections: options.connections };
  const sides = (s: Scenario) => [s.ours, ...(s.theirs ? [s.theirs] : [])];
  if (options.warmup > 0) {
    for (const scenario of scenarios) {
      for (const side of sides(scenario)) {
        log(`warm-up ${scenario.name} · ${side.server}`);
        await runLoad(side.request, { seconds: options.warmup, connections: options.connections });
      }
    }
  }
  const results = new Map<Side, LoadResult[]>();
  for (let round = 1; round <= options.runs; round++) {
    for (const scenario of scenarios) {
      for (const side of sides(scenario)) {
        const result = await runLoad(side.request, load);
        log(`run ${round}/${options.runs} ${scenario.name} · ${side.server}: ${Math.round(result.rps)} req/s`);
        results.set(side, [...(results.get(side) ?? []), result]);
      }
    }
  }
  return scenarios.map((s) => ({
    name: s.name,
    ours: summarize(s.ours.server, results.get(s.ours)!),
    theirs: s.theirs ? summarize(s.theirs.server, results.get(s.theirs)!) : undefined,
  }));
}
