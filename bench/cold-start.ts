/**
 * Cold start: spawn `authserver serve` (SQLite, default plugins, no config file) → first `/health` 200, for a
 * first-ever start (key generation and every migration) and a warm restart of the same data directory, then the
 * idle RSS once the restarted server settled. Aims (issue 3): ≤ 300 ms to ready, ≤ 70 MiB idle.
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
import { startAuthPlane, type AuthPlaneOptions } from './lib/servers.js';
import { fixed, formatTable, median } from './lib/stats.js';

const SETTLE_MS = 2000;
const AIM_READY_MS = 300;
const AIM_IDLE_MIB = 70;

export interface ColdStartResult {
  mode: AuthPlaneOptions['mode'];
  firstMs: number[];
  warmMs: number[];
  idleMiB: number[];
}

async function measure(mode: AuthPlaneOptions['mode'], runs: number, settleMs: number): Promise<ColdStartResult> {
  const result: ColdStartResult = { mode, firstMs: [], warmMs: [], idleMiB: [] };
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-cold-'));
    try {
      const first = await startAuthPlane({ dir, mode });
      result.firstMs.push(first.readyMs);
      await first.stop();
      const warm = await startAuthPlane({ dir, mode });
      result.warmMs.push(warm.readyMs);
      await new Promise((r) => setTimeout(r, settleMs));
      result.idleMiB.push(rssMiB(warm.pid));
      await warm.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return result;
}

export async function benchColdStart(options: BenchOptions): Promise<{ text: string; results: ColdStartResult[] }> {
  pinSelf(LOAD_CORE);
  const modes: AuthPlaneOptions['mode'][] = options.source ? ['source'] : ['compiled', 'source'];
  if (modes.includes('compiled')) ensureBuilt((line) => process.stderr.write(`${line}\n`));
  const runs = options.smoke ? 1 : Math.max(options.runs, 5);
  const results: ColdStartResult[] = [];
  for (const mode of modes) {
    process.stderr.write(`cold start · ${mode} · ${runs} runs\n`);
    results.push(await measure(mode, runs, options.smoke ? 200 : SETTLE_MS));
  }
  const label = { compiled: 'compiled (node dist/bin/authserver.js)', source: 'source (tsx, npm start)' };
  const range = (values: number[]) => `${fixed(Math.min(...values))}–${fixed(Math.max(...values))}`;
  const rows = results.flatMap((r) => [
    [label[r.mode], 'first start (keys + migrations)', `${fixed(median(r.firstMs))} ms`, range(r.firstMs), '—'],
    [label[r.mode], 'warm restart', `${fixed(median(r.warmMs))} ms`, range(r.warmMs), `${fixed(median(r.idleMiB), 1)} MiB`],
  ]);
  const text = [
    `## Cold start: spawn → first /health 200 (SQLite, default plugins), median of ${runs}`,
    machineSummary(),
    '',
    formatTable(['Server', 'Start', 'ready (median)', 'range ms', `idle RSS after ${SETTLE_MS / 1000} s`], rows),
    '',
    `Aims: ready ≤ ${AIM_READY_MS} ms, idle RSS ≤ ${AIM_IDLE_MIB} MiB.`,
  ].join('\n');
  return { text, results };
}

if (isMain(import.meta.url)) {
  const { text } = await benchColdStart(benchOptions());
  console.log(text);
}
