/**
 * JWKS and discovery throughput: our server (compiled, SQLite, default plugins) against oidc-provider from the same
 * run, each pinned to the server core with the load generator on the other. Both documents are pre-serialized on
 * our side, so this measures the HTTP stack per request. Aim (issue 3): ~14 000 req/s on one core.
 *
 *   npm run bench:wellknown [-- --duration 5 --runs 3 --connections 50] [--source] [--smoke]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './lib/build.js';
import { LOAD_CORE, machineSummary, pinSelf } from './lib/cpu.js';
import { runScenarios, type Scenario, type ScenarioSummary } from './lib/load.js';
import { benchOptions, isMain, type BenchOptions } from './lib/options.js';
import { peakRssMiB, rssMiB } from './lib/proc.js';
import { printComparison } from './lib/report.js';
import { startAuthPlane, startOidcProvider } from './lib/servers.js';
import { fixed, formatTable, ratio } from './lib/stats.js';

export async function benchWellKnown(options: BenchOptions): Promise<{ text: string; summaries: ScenarioSummary[] }> {
  pinSelf(LOAD_CORE);
  const mode = options.source ? 'source' : 'compiled';
  if (mode === 'compiled') ensureBuilt((line) => process.stderr.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-wellknown-'));
  const ours = await startAuthPlane({ dir, mode, logLevel: options.logLevel });
  const theirs = await startOidcProvider({ profile: 'wellknown' });
  try {
    await new Promise((r) => setTimeout(r, options.smoke ? 100 : 1000));
    const idle = { ours: rssMiB(ours.pid), theirs: rssMiB(theirs.pid) };
    const scenarios: Scenario[] = [
      {
        name: 'JWKS',
        ours: { server: 'authplane', request: { url: `${ours.url}/.well-known/jwks.json` } },
        theirs: { server: 'oidc-provider', request: { url: `${theirs.url}/jwks` } },
      },
      {
        name: 'discovery',
        ours: { server: 'authplane', request: { url: `${ours.url}/.well-known/openid-configuration` } },
        theirs: { server: 'oidc-provider', request: { url: `${theirs.url}/.well-known/openid-configuration` } },
      },
    ];
    const summaries = await runScenarios(scenarios, options);
    const peak = { ours: peakRssMiB(ours.pid), theirs: peakRssMiB(theirs.pid) };
    const memory = formatTable(
      ['Server', 'RSS idle', 'RSS peak', 'peak ratio'],
      [
        ['authplane', `${fixed(idle.ours, 1)} MiB`, `${fixed(peak.ours, 1)} MiB`, ratio(peak.ours, peak.theirs)],
        ['oidc-provider', `${fixed(idle.theirs, 1)} MiB`, `${fixed(peak.theirs, 1)} MiB`, ''],
      ],
    );
    const text = [
      `## JWKS and discovery (${options.smoke ? 'smoke: 200 requests' : `${options.runs} × ${options.duration} s, median`}, ${options.connections} connections, warm-up ${options.warmup} s)`,
      machineSummary(),
      `authplane: ${mode}, SQLite, default plugins, log level ${options.logLevel} · oidc-provider ${await oidcProviderVersion()}, in-memory adapter`,
      '',
      printComparison(summaries),
      '',
      memory,
    ].join('\n');
    return { text, summaries };
  } finally {
    await Promise.all([ours.stop(), theirs.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function oidcProviderVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const path = createRequire(import.meta.url).resolve('oidc-provider/package.json');
  return (JSON.parse(await readFile(path, 'utf8')) as { version: string }).version;
}

if (isMain(import.meta.url)) {
  const { text } = await benchWellKnown(benchOptions());
  console.log(text);
}
