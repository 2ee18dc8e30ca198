/**
 * Cold start: spawn `authserver serve` (SQLite, default plugins, no config file) → first `/health` 200, for a
 * first-ever start (key generation and every migration) and a warm restart of the same data directory, then the
 * idle RSS once the restarted server settled; oidc-provider (spawn → first discovery 200) from the same run as the
 * baseline. Aims (issue 3): ≤ 300 ms to ready, ≤ 70 MiB idle.
 *
 *   npm run bench:cold-start [-- --runs 5] [--source] [--smoke]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './lib/build.js';
import { LOAD_CORE, machineSummary, pinSelf } from './lib/cpu.js';
import { benchOptions, isMain, type BenchOptions } from './lib/options.js';
import { rssMiB } from './lib/proc.js';
import { renderTable, type TableRow } from './lib/report.js';
import { startAuthPlane, startOidcProvider, type AuthPlaneOptions } from './lib/servers.js';
import { median } from './lib/stats.js';

const SETTLE_MS = 2000;
export const AIM_READY_MS = 300;
export const AIM_IDLE_MIB = 70;

export interface ColdStartResult {
  server: string;
  /** Spawn → ready of a first-ever start (ours: keys and migrations); absent where there is no difference. */
  firstMs: number[];
  /** Spawn → ready of a restart. */
  warmMs: number[];
  idleMiB: number[];
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measureOurs(mode: AuthPlaneOptions['mode'], runs: number, settleMs: number): Promise<ColdStartResult> {
  const result: ColdStartResult = { server: mode === 'compiled' ? 'authplane' : 'authplane (source, tsx)', firstMs: [], warmMs: [], idleMiB: [] };
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-cold-'));
    try {
      const first = await startAuthPlane({ dir, mode });
      result.firstMs.push(first.readyMs);
      await first.stop();
      const warm = await startAuthPlane({ dir, mode });
      result.warmMs.push(warm.readyMs);
      await pause(settleMs);
      result.idleMiB.push(rssMiB(warm.pid));
      await warm.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return result;
}

async function measureOidcProvider(runs: number, settleMs: number): Promise<ColdStartResult> {
  const result: ColdStartResult = { server: 'oidc-provider', firstMs: [], warmMs: [], idleMiB: [] };
  for (let i = 0; i < runs; i++) {
    const server = await startOidcProvider({ profile: 'tokens' });
    result.warmMs.push(server.readyMs);
    await pause(settleMs);
    result.idleMiB.push(rssMiB(server.pid));
    await server.stop();
  }
  return result;
}

/** Ours in each mode, then oidc-provider; one start at a time, so they never compete for the server core. */
export async function measureColdStarts(options: BenchOptions, modes: AuthPlaneOptions['mode'][]): Promise<ColdStartResult[]> {
  pinSelf(LOAD_CORE);
  if (modes.includes('compiled')) ensureBuilt((line) => process.stderr.write(`${line}\n`));
  const runs = options.smoke ? 1 : Math.max(options.runs, 5);
  const settle = options.smoke ? 200 : SETTLE_MS;
  const results: ColdStartResult[] = [];
  for (const mode of modes) {
    process.stderr.write(`cold start · authplane ${mode} · ${runs} runs\n`);
    results.push(await measureOurs(mode, runs, settle));
  }
  process.stderr.write(`cold start · oidc-provider · ${runs} runs\n`);
  results.push(await measureOidcProvider(runs, settle));
  return results;
}

/**
 * Rows for the comparison table: p50 = median spawn → ready, p99 = the slowest run, RSS idle after settling; the
 * latency ratio is the median's.
 */
export function coldStartRows(results: readonly ColdStartResult[]): TableRow[] {
  const theirs = results.find((r) => r.server === 'oidc-provider');
  const theirMedian = theirs ? median(theirs.warmMs) : Number.NaN;
  const theirIdle = theirs ? median(theirs.idleMiB) : Number.NaN;
  const row = (r: ColdStartResult, label: string, values: number[], baseline: boolean): TableRow => ({
    scenario: 'cold start → ready',
    server: label,
    p50: median(values),
    p99: Math.max(...values),
    idleMiB: label.includes('first') ? undefined : median(r.idleMiB),
    ratios: baseline ? undefined : { latency: median(values) / theirMedian, rss: label.includes('first') ? undefined : median(r.idleMiB) / theirIdle },
  });
  return results.flatMap((r) =>
    r.server === 'oidc-provider'
      ? [row(r, r.server, r.warmMs, true)]
      : [row(r, `${r.server}, restart`, r.warmMs, false), row(r, `${r.server}, first start (keys + migrations)`, r.firstMs, false)],
  );
}

export async function benchColdStart(options: BenchOptions): Promise<{ text: string; results: ColdStartResult[] }> {
  const results = await measureColdStarts(options, options.source ? ['source'] : ['compiled', 'source']);
  const runs = results[0]!.warmMs.length;
  const text = [
    `## Cold start: spawn → first 200 (ours: /health, SQLite, default plugins; oidc-provider: discovery), median of ${runs}`,
    machineSummary(),
    '',
    renderTable(coldStartRows(results)),
    '',
    `Aims: ready ≤ ${AIM_READY_MS} ms, idle RSS ≤ ${AIM_IDLE_MIB} MiB (after ${SETTLE_MS / 1000} s idle).`,
  ].join('\n');
  return { text, results };
}

if (isMain(import.meta.url)) {
  const { text } = await benchColdStart(benchOptions());
  console.log(text);
}
