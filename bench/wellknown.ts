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
import { rssMiB } from './lib/proc.js';
import { printComparison } from './lib/report.js';
import { oidcProviderVersion, startAuthPlane, startOidcProvider } from './lib/servers.js';

export async function benchWellKnown(options: BenchOptions): Promise<{ text: string; summaries: ScenarioSummary[] }> {
  pinSelf(LOAD_CORE);
  const mode = options.source ? 'source' : 'compiled';
  if (mode === 'compiled') ensureBuilt((line) => process.stderr.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-wellknown-'));
  const logLevel = options.logLevel ?? 'info';
  const ours = await startAuthPlane({ dir, mode, logLevel });
  const theirs = await startOidcProvider({ profile: 'wellknown' });
  try {
    await new Promise((r) => setTimeout(r, options.smoke ? 100 : 1000));
    const measured = (server: typeof ours) => ({ pid: server.pid, idleMiB: rssMiB(server.pid) });
    const [oursProcess, theirsProcess] = [measured(ours), measured(theirs)];
    const scenarios: Scenario[] = [
      {
        name: 'JWKS',
        ours: [{ server: 'authplane', request: { url: `${ours.url}/.well-known/jwks.json` }, process: oursProcess }],
        theirs: { server: 'oidc-provider', request: { url: `${theirs.url}/jwks` }, process: theirsProcess },
      },
      {
        name: 'discovery',
        ours: [{ server: 'authplane', request: { url: `${ours.url}/.well-known/openid-configuration` }, process: oursProcess }],
        theirs: { server: 'oidc-provider', request: { url: `${theirs.url}/.well-known/openid-configuration` }, process: theirsProcess },
      },
    ];
    const summaries = await runScenarios(scenarios, options);
    const text = [
      `## JWKS and discovery (${options.smoke ? `smoke: ${options.amount} requests` : `${options.runs} × ${options.duration} s, median`}, ${options.connections} connections, warm-up ${options.warmup} s)`,
      machineSummary(),
      `authplane: ${mode}, SQLite, default plugins, log level ${logLevel} · oidc-provider ${oidcProviderVersion()}, in-memory adapter`,
      '',
      printComparison(summaries),
    ].join('\n');
    return { text, summaries };
  } finally {
    await Promise.all([ours.stop(), theirs.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}


if (isMain(import.meta.url)) {
  const { text } = await benchWellKnown(benchOptions());
  console.log(text);
}
