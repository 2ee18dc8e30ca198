/**
 * A/B of two settings (environments) or two builds of our own server, for deciding whether a change is faster: starts server A and
 * server B (each pinned to the server core, one at a time under load), warms both, then alternates measured runs
 * A, B, B, A, … so drift on the machine hits both alike, and prints each run and the medians of req/s and server
 * CPU per request. Absolute figures drift ±25 % on these machines; the B ÷ A ratio is what to read.
 *
 *   node --conditions=authplane-source --import tsx bench/compare.ts --scenario cc|introspection|exchange|jwks|discovery|pkjwt|id-jag
 *     [--postgres] [--a-env K=V,…] [--b-env K=V,…] [--a-node="--flag …"] [--b-node="--flag …"] [--a-root DIR] [--runs 6]
 *     [--duration 5 | --amount 5000] [--server-cores 0,1]
 *
 * `--a-root` runs side A from another built checkout (e.g. `git worktree add /tmp/base HEAD`, node_modules linked,
 * `npm run build` there), so a code change is measured against the commit before it in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freshPostgresDatabase } from '../test/helpers/postgres.js';
import { ensureBuilt } from './lib/build.js';
import { LOAD_CORE, pinSelf } from './lib/cpu.js';
import { assertionRequests, JWT_PLUGINS } from './lib/assertions.js';
import { exchangeRequest, introspectionRequest, prepareOurs, send } from './lib/fixtures.js';
import { runLoad, type LoadRequest } from './lib/load.js';
import { cpuSeconds, peakRssMiB, resetPeakRss } from './lib/proc.js';
import { startAuthPlane, writeOAuthConfig, type RunningServer } from './lib/servers.js';
import { median } from './lib/stats.js';
import { envList } from './lib/options.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'cc' },
    postgres: { type: 'boolean', default: false },
    'a-env': { type: 'string', default: '' },
    'b-env': { type: 'string', default: '' },
    // node / V8 flags for one side, ahead of the binary's own (e.g. --b-node="--no-allocation-site-pretenuring").
    'a-node': { type: 'string', default: '' },
    'b-node': { type: 'string', default: '' },
    'a-root': { type: 'string' },
    runs: { type: 'string', default: '6' },
    duration: { type: 'string', default: '5' },
    // Requests per run of the scenarios whose bodies are single use (pkjwt, id-jag), instead of --duration.
    amount: { type: 'string', default: '5000' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    // Servers on more cores than the benchmark's one (a taskset list): how a change behaves where GC threads have room.
    'server-cores': { type: 'string' },
  },
});

pinSelf(LOAD_CORE);
ensureBuilt();
/** Scenarios whose every request consumes a body (a single-use assertion): runs of a fixed count, bodies written before each. */
const singleUse = values.scenario === 'pkjwt' || values.scenario === 'id-jag';
const shape = (seconds: string) => (singleUse ? { amount: Number(values.amount), connections: Number(values.connections) } : { seconds: Number(seconds), connections: Number(values.connections) });
const cleanups: (() => unknown)[] = [];
async function start(
  label: string,
  env: Record<string, string>,
  nodeArgs: string,
  root?: string,
): Promise<{ label: string; server: RunningServer; request: (amount: number) => Promise<LoadRequest> }> {
  const dir = mkdtempSync(join(tmpdir(), `authplane-compare-${label}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const dsn = values.postgres ? await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) }) : undefined;
  const server = await startAuthPlane({
    dir,
    mode: 'compiled',
    logLevel: 'warn',
    args: ['--config', writeOAuthConfig(dir, 'compiled', root, singleUse ? JWT_PLUGINS : [])],
    root,
    nodeArgs: nodeArgs.split(' ').filter(Boolean),
    core: values['server-cores'],
    env: {
      AUTHPLANE_RATE_LIMIT_ENABLED: 'false',
      ...(dsn ? { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: dsn } : {}),
      ...env,
    },
  });
  cleanups.unshift(() => server.stop());
  const fixture = await prepareOurs(server, { codes: false });
  const assertions = await assertionRequests(values.scenario!, fixture, join(dir, 'bodies.txt'), cleanups);
  if (assertions) return { label, server, request: assertions };
  const request: LoadRequest =
    values.scenario === 'cc'
      ? fixture.tokenRequest
      : values.scenario === 'introspection'
        ? introspectionRequest(`${server.url}/oauth/introspect`, fixture.machineAuth, String((await send(fixture.tokenRequest)).access_token))
        : values.scenario === 'exchange'
          ? await exchangeRequest(fixture)
          : { url: `${server.url}/.well-known/${values.scenario === 'jwks' ? 'jwks.json' : 'openid-configuration'}` };
  return { label, server, request: async () => request };
}

try {
  const sides = [
    await start('A', envList(values['a-env']!), values['a-node']!, values['a-root']),
    await start('B', envList(values['b-env']!), values['b-node']!),
  ];
  for (const side of sides) await runLoad(await side.request(Number(values.amount)), shape(values.warmup!));
  for (const side of sides) resetPeakRss(side.server.pid);
  const figures = new Map<string, { rps: number[]; cpu: number[]; p99: number[] }>(sides.map((s) => [s.label, { rps: [], cpu: [], p99: [] }]));
  for (let run = 0; run < Number(values.runs); run++) {
    for (const side of run % 2 === 0 ? sides : [...sides].reverse()) {
      const request = await side.request(Number(values.amount));
      const before = cpuSeconds(side.server.pid);
      const result = await runLoad(request, shape(values.duration!));
      const cpu = ((cpuSeconds(side.server.pid) - before) * 1e6) / result.total;
      figures.get(side.label)!.rps.push(result.rps);
      figures.get(side.label)!.cpu.push(cpu);
      figures.get(side.label)!.p99.push(result.p99);
      console.log(`run ${run + 1} ${side.label}: ${Math.round(result.rps)} req/s, ${cpu.toFixed(0)} µs/req, p99 ${result.p99} ms, ${result.non2xx} non-2xx`);
    }
  }
  const [a, b] = [figures.get('A')!, figures.get('B')!];
  console.log(sides.map((side) => `peak RSS ${side.label} ${peakRssMiB(side.server.pid).toFixed(1)} MiB`).join(' · '));
  console.log(
    `median A ${Math.round(median(a.rps))} req/s ${median(a.cpu).toFixed(0)} µs/req · B ${Math.round(median(b.rps))} req/s ` +
      `${median(b.cpu).toFixed(0)} µs/req · B÷A req/s ${(median(b.rps) / median(a.rps)).toFixed(3)}, CPU per request ${(median(b.cpu) / median(a.cpu)).toFixed(3)}, ` +
      `p99 ${median(a.p99)} → ${median(b.p99)} ms`,
  );
} finally {
  for (const cleanup of cleanups) await cleanup();
}
