/**
 * Load runs: autocannon in a child process pinned to the load core, a warm-up that is thrown away, then N
 * measured runs reduced to medians. Each scenario runs its sides (ours, and the baseline) run by run, alternating
 * which goes first, so drift over the benchmark hits both alike and the ratio stays meaningful even when absolute
 * figures move. Peak RSS is taken per scenario (the kernel's high-water mark is reset before it).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LOAD_CORE, pinned } from './cpu.js';
import type { BenchOptions } from './options.js';
import { cpuSeconds, peakRssMiB, resetPeakRss } from './proc.js';
import { median } from './stats.js';

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** One body per line, each sent once (see load-worker.mjs); overrides `body`. */
  bodiesFile?: string;
}

/** How much load one run applies: for `seconds`, or `amount` requests in all, over `connections`. */
export interface LoadShape {
  seconds?: number;
  amount?: number;
  connections: number;
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
  /** Responses by HTTP status. */
  statuses?: Record<string, number>;
  /** Server CPU time (user + system) per completed request, µs: steadier than req/s when other work shares the machine. */
  cpuUs?: number;
}

const WORKER = join(import.meta.dirname, 'load-worker.mjs');

/** One autocannon run against one request. */
export function runLoad(request: LoadRequest, load: LoadShape): Promise<LoadResult> {
  const options = {
    url: request.url,
    method: request.method ?? 'GET',
    headers: request.headers,
    body: request.body,
    bodiesFile: request.bodiesFile,
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

/** The server process behind a side, for its memory figures. */
export interface ServerProcess {
  pid: number;
  /** RSS once started and settled, before any load, MiB. */
  idleMiB: number;
}

export interface Side {
  /** Row label, e.g. `authplane` or `oidc-provider`. */
  server: string;
  /** The request, or one prepared for each run (e.g. fresh authorization codes for exactly that run's shape). */
  request: LoadRequest | ((shape: LoadShape) => Promise<LoadRequest>);
  /** Changes the run's shape, e.g. a fixed number of requests when each consumes something prepared. */
  shape?: (base: LoadShape) => LoadShape;
  process?: ServerProcess;
}

export interface Scenario {
  name: string;
  /** Our sides (e.g. log level warn and info); each gets ratios to `theirs`. */
  ours: Side[];
  /** The baseline the ratios are taken against; absent for scenarios only we can run. */
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
  /** Median server CPU per request, µs (when the side names its server process). */
  cpuUs?: number;
  idleMiB?: number;
  /** Highest RSS during this scenario (warm-up included), MiB. */
  peakMiB?: number;
}

export interface ScenarioSummary {
  name: string;
  ours: SideSummary[];
  theirs?: SideSummary;
}

function summarize(side: Side, runs: LoadResult[], peakMiB: number | undefined): SideSummary {
  return {
    server: side.server,
    runs,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    failures: runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
    cpuUs: median(runs.map((r) => r.cpuUs ?? Number.NaN).filter((v) => !Number.isNaN(v))),
    idleMiB: side.process?.idleMiB,
    peakMiB,
  };
}

async function runSide(side: Side, base: LoadShape): Promise<LoadResult> {
  const shape = side.shape ? side.shape(base) : base;
  const request = typeof side.request === 'function' ? await side.request(shape) : side.request;
  const pid = side.process?.pid;
  const before = pid ? cpuSeconds(pid) : Number.NaN;
  const result = await runLoad(request, shape);
  if (pid && result.total > 0) result.cpuUs = ((cpuSeconds(pid) - before) * 1e6) / result.total;
  return result;
}

/** Per scenario: reset peaks, warm up every side, then `options.runs` rounds alternating which side goes first. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  options: BenchOptions,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<ScenarioSummary[]> {
  const measured: LoadShape = options.smoke
    ? { amount: options.amount, connections: options.connections }
    : { seconds: options.duration, connections: options.connections };
  const summaries: ScenarioSummary[] = [];
  for (const scenario of scenarios) {
    const sides = [...scenario.ours, ...(scenario.theirs ? [scenario.theirs] : [])];
    for (const side of sides) if (side.process) resetPeakRss(side.process.pid);
    if (options.warmup > 0) {
      for (const side of sides) {
        log(`warm-up ${scenario.name} · ${side.server}`);
        await runSide(side, { seconds: options.warmup, connections: options.connections });
      }
    }
    const results = new Map<Side, LoadResult[]>(sides.map((s) => [s, []]));
    for (let round = 1; round <= options.runs; round++) {
      for (const side of round % 2 ? sides : [...sides].reverse()) {
        const result = await runSide(side, measured);
        const failed = result.non2xx + result.errors + result.timeouts;
        log(
          `run ${round}/${options.runs} ${scenario.name} · ${side.server}: ${Math.round(result.rps)} req/s` +
            (failed ? ` (${failed} failed: ${JSON.stringify(result.statuses ?? {})})` : ''),
        );
        results.get(side)!.push(result);
      }
    }
    const peak = (side: Side) => (side.process ? peakRssMiB(side.process.pid) : undefined);
    summaries.push({
      name: scenario.name,
      ours: scenario.ours.map((side) => summarize(side, results.get(side)!, peak(side))),
      theirs: scenario.theirs ? summarize(scenario.theirs, results.get(scenario.theirs)!, peak(scenario.theirs)) : undefined,
    });
  }
  return summaries;
}
