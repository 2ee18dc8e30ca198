/**
 * `npm run bench:scale`: the server on a grown database (issue 25). For each driver and size: the real server writes
 * one row of each kind, the tables are bulk-loaded from those rows (bench/lib/scale-fill.ts) to N issuances, audit
 * events, clients and users, and the server is started on the result. Measured: client_credentials and
 * introspection against a server on an empty database (load pinned as in `npm run bench`, the two alternating),
 * every admin list's first page and a deep page through its `next` cursor where it has one, each issuance and audit
 * filter, the duration of `authserver purge` for the expired share, the p99 of token requests during the purge
 * against idle, and the longest single token request while purges and admin reads run. Also the bytes each row
 * takes on disk, indexes included (docs/operations.md, Sizing). Figures are printed, never asserted.
 *
 *   npm run bench:scale [-- --issuances 1M,5M --audit 1M --clients 100k --users 10k --resources 20
 *                           --drivers sqlite,postgres --expired 0.2 --deep 100k --probe-connections 8 --idle 5]
 *                        [--duration 5 --runs 3 --warmup 2 --connections 50] [--source] [--no-write]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freshPostgresDatabase, postgresAvailable } from '../test/helpers/postgres.js';
import { ensureBuilt } from './lib/build.js';
import { LOAD_CORE, machineSummary, pinSelf } from './lib/cpu.js';
import { clientCredentialsRequest, FIXTURES, introspectionRequest, prepareOurs, send } from './lib/fixtures.js';
import { runScenarios, type ScenarioSummary } from './lib/load.js';
import { benchOptions } from './lib/options.js';
import { rssMiB } from './lib/proc.js';
import { runDate, writeResults } from './lib/results.js';
import { benchClientId, captureTemplates, fill, query, tableSize, type Driver, type Target } from './lib/scale-fill.js';
import { purgeTarget, startProbe, timeList, underProbe, type ListSpec, type PageTiming, type ProbeResult } from './lib/scale-measure.js';
import { BENCH_ADMIN_KEY, startAuthPlane, writeOAuthConfig, type RunningServer } from './lib/servers.js';
import { fixed, formatTable, markdownTable } from './lib/stats.js';

/** `100k`, `1M`, `5m`, `2500` → a count. */
export function count(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`not a count: ${text} (e.g. 100k, 1M, 2500)`);
  return Math.round(Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1e3 : 1e6));
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: false,
  options: {
    issuances: { type: 'string' },
    audit: { type: 'string' },
    clients: { type: 'string' },
    users: { type: 'string' },
    resources: { type: 'string' },
    drivers: { type: 'string' },
    expired: { type: 'string' },
    deep: { type: 'string' },
    'probe-connections': { type: 'string' },
    idle: { type: 'string' },
  },
});
const str = (v: unknown, fallback: string) => (typeof v === 'string' && v !== '' ? v : fallback);
const scale = {
  sizes: str(values.issuances, '1M,5M').split(',').map(count),
  audit: count(str(values.audit, '1M')),
  clients: count(str(values.clients, '100k')),
  users: count(str(values.users, '10k')),
  resources: count(str(values.resources, '20')),
  drivers: str(values.drivers, 'sqlite,postgres').split(',') as Driver[],
  expired: Number(str(values.expired, '0.2')),
  deep: count(str(values.deep, '100k')),
  probeConnections: count(str(values['probe-connections'], '8')),
  idleSeconds: Number(str(values.idle, '5')),
};
const options = benchOptions();
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Issue 25's aims at 5M rows. */
const AIMS = { issuanceRatio: 0.85, pageMs: 50, purgeP99: 2, waitMs: 250 };
const PURGE_TARGETS = ['machine_tokens', 'token_issuances', 'audit_events'];

interface Sized {
  table: string;
  rows: number;
  bytes: number;
}

interface SizeResult {
  driver: Driver;
  issuances: number;
  plan: { audit: number; clients: number; users: number; resources: number; expiredShare: number };
  fillSeconds: Record<string, number>;
  /** After the bulk load. */
  sizes: Sized[];
  /** Rows and bytes the server itself added during the token load (one issuance and one audit row per token). */
  written: Sized[];
  issuance?: ScenarioSummary;
  introspection?: ScenarioSummary;
  lists: PageTiming[];
  filters: PageTiming[];
  purges: { target: string; deleted: number; seconds: number; output: string }[];
  idle: ProbeResult;
  duringPurge: ProbeResult;
  duringAdmin: ProbeResult;
}

const mode = options.source ? 'source' : 'compiled';

function serverEnv(dir: string, target: Target): NodeJS.ProcessEnv {
  return {
    AUTHPLANE_RATE_LIMIT_ENABLED: 'false',
    ...(target.driver === 'postgres' ? { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: target.dsn } : {}),
    AUTHPLANE_STORAGE_SQLITE_PATH: join(dir, 'authserver.db'),
  };
}

async function startServer(dir: string, target: Target): Promise<RunningServer> {
  return startAuthPlane({ dir, mode, logLevel: options.logLevel ?? 'warn', args: ['--config', writeOAuthConfig(dir, mode)], env: serverEnv(dir, target) });
}

async function freshTarget(driver: Driver, dir: string, cleanups: (() => unknown)[]): Promise<Target> {
  if (driver === 'sqlite') return { driver, file: join(dir, 'authserver.db') };
  return { driver, dsn: await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) }) };
}

const tables = ['token_issuances', 'audit_events', 'clients', 'users'];
const sizesOf = async (target: Target) => Promise.all(tables.map(async (table) => ({ table, ...(await tableSize(target, table)) })));

async function measure(driver: Driver, issuances: number, cleanups: (() => unknown)[]): Promise<SizeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-scale-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const target = await freshTarget(driver, dir, cleanups);
  const now = Date.now();
  const plan = { issuances, audit: scale.audit, clients: scale.clients, users: scale.users, expiredShare: scale.expired, now };

  // The real server writes the template rows (and runs the migrations), then stops for the bulk load.
  let server = await startServer(dir, target);
  const templates = await captureTemplates(server, target, scale.resources).finally(() => server.stop());
  log(`${driver} ${issuances}: filling…`);
  const { seconds: fillSeconds, generators } = await fill(target, templates, plan, log);
  const sizes = await sizesOf(target);

  server = await startServer(dir, target);
  const emptyDir = mkdtempSync(join(tmpdir(), 'authplane-bench-scale-empty-'));
  cleanups.push(() => rmSync(emptyDir, { recursive: true, force: true }));
  const empty = await startServer(emptyDir, await freshTarget(driver, emptyDir, cleanups));
  try {
    const baseline = await prepareOurs(empty, { codes: false });
    const tokenRequest = clientCredentialsRequest(`${server.url}/oauth/token`, templates.machineAuth, FIXTURES.resource);
    const processes = { filled: { pid: server.pid, idleMiB: rssMiB(server.pid) }, empty: { pid: empty.pid, idleMiB: rssMiB(empty.pid) } };
    const [issuance] = await runScenarios(
      [{ name: 'client_credentials', ours: [{ server: 'filled', request: tokenRequest, process: processes.filled }], theirs: { server: 'empty', request: baseline.tokenRequest, process: processes.empty } }],
      options,
      log,
    );
    const filledToken = String((await send(tokenRequest)).access_token);
    const emptyToken = String((await send(baseline.tokenRequest)).access_token);
    const [introspection] = await runScenarios(
      [
        {
          name: 'introspection',
          ours: [{ server: 'filled', request: introspectionRequest(`${server.url}/oauth/introspect`, templates.machineAuth, filledToken), process: processes.filled }],
          theirs: { server: 'empty', request: introspectionRequest(`${empty.url}/oauth/introspect`, baseline.machineAuth, emptyToken), process: processes.empty },
        },
      ],
      options,
      log,
    );
    await empty.stop();

    // What the server itself wrote during the token load: its issuance rows and (flushed here) their audit events.
    await fetch(`${server.adminUrl}/admin/audit?limit=1`, { headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` } });
    const after = await sizesOf(target);
    const written = after.map((s, i) => ({ table: s.table, rows: s.rows - sizes[i]!.rows, bytes: s.bytes - sizes[i]!.bytes }));

    const hour = new Date(now - 3_600_000).toISOString();
    const week = new Date(now - 7 * 86_400_000).toISOString();
    const weekEnd = new Date(now - 6 * 86_400_000).toISOString();
    // The fill's skew puts most tokens on the first bulk client and user.
    const topUser = generators.userIds[0]!;
    const topClient = benchClientId(0);
    const [jti] = await query(target, 'select jti from token_issuances where client_id = ? limit 1', [topClient]);
    const lists: ListSpec[] = [
      { list: 'clients', path: '/admin/clients' },
      { list: 'users', path: '/admin/users' },
      { list: 'resources', path: '/admin/resources' },
      { list: 'issuances', path: '/admin/issuances', fallback: '/admin/issuances?since=1970-01-01T00:00:00Z' },
      { list: 'audit', path: '/admin/audit' },
      { list: 'grants (one user)', path: `/admin/users/${topUser}/grants` },
    ];
    const filters: ListSpec[] = [
      { list: 'issuances · client', path: `/admin/issuances?client=${topClient}` },
      { list: 'issuances · user', path: `/admin/issuances?user=${topUser}` },
      { list: 'issuances · jti', path: `/admin/issuances?jti=${jti?.jti}` },
      { list: 'issuances · resource', path: `/admin/issuances?resource=${encodeURIComponent(templates.resources[1] ?? FIXTURES.resource)}` },
      { list: 'issuances · time (last hour)', path: `/admin/issuances?since=${hour}` },
      { list: 'audit · client', path: `/admin/audit?client_id=${topClient}&since=${week}` },
      { list: 'audit · user', path: `/admin/audit?user_id=${topUser}&since=${week}` },
      { list: 'audit · action', path: '/admin/audit?action=token_issued' },
      { list: 'audit · time (a day a week ago)', path: `/admin/audit?since=${week}&until=${weekEnd}` },
    ];
    const timeAll = async (specs: ListSpec[], deep = scale.deep) => {
      const out: PageTiming[] = [];
      for (const spec of specs) {
        out.push(await timeList(server, spec, { repeat: 3, deep }));
        log(`timed ${spec.list}`);
      }
      return out;
    };
    const listTimings = await timeAll(lists);
    const filterTimings = await timeAll(filters);
    // The same reads again (the second page standing for the deep one), now with token requests running: how long
    // a request waits behind them.
    const duringAdmin = (await underProbe(tokenRequest, scale.probeConnections, () => timeAll([...lists, ...filters], 0))).probe;

    const idleProbe = await startProbe(tokenRequest, scale.probeConnections);
    await new Promise((r) => setTimeout(r, scale.idleSeconds * 1000));
    const idle = await idleProbe.stop();
    const { probe: duringPurge, result: purges } = await underProbe(tokenRequest, scale.probeConnections, async () => {
      const done = [];
      for (const name of PURGE_TARGETS) {
        done.push(await purgeTarget({ mode, dir, env: serverEnv(dir, target), name }));
        log(`purged ${name}: ${done.at(-1)!.deleted} rows in ${done.at(-1)!.seconds.toFixed(1)} s`);
      }
      return done;
    });
    return {
      driver,
      issuances,
      plan: { audit: scale.audit, clients: scale.clients, users: scale.users, resources: scale.resources, expiredShare: scale.expired },
      fillSeconds,
      sizes,
      written,
      issuance,
      introspection,
      lists: listTimings,
      filters: filterTimings,
      purges,
      idle,
      duringPurge,
      duringAdmin,
    };
  } finally {
    await Promise.all([server.stop(), empty.stop()]);
  }
}

const human = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n));
const kb = (bytes: number, rows: number) => (rows > 0 ? (bytes / rows / 1024).toFixed(2) : '—');
const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(1)} ms`);
const mark = (met: boolean | undefined) => (met === undefined ? '·' : met ? '✓ met' : '✗ not met');

function aims(r: SizeResult): [string, string, string][] {
  const ratio = r.issuance?.ours[0] && r.issuance.theirs ? r.issuance.ours[0].rps / r.issuance.theirs.rps : Number.NaN;
  const pages = [...r.lists, ...r.filters].flatMap((t) => [t.firstMs, t.deepMs ?? Number.NaN]).filter(Number.isFinite);
  const worstPage = Math.max(...pages);
  const worstName = [...r.lists, ...r.filters].find((t) => t.firstMs === worstPage || t.deepMs === worstPage)?.list ?? '';
  const purgeRatio = r.duringPurge.p99 / r.idle.p99;
  const wait = Math.max(r.duringPurge.max, r.duringAdmin.max);
  const known = (v: number) => (Number.isFinite(v) ? v : undefined);
  return [
    [`issuance within ${(100 - AIMS.issuanceRatio * 100).toFixed(0)} % of empty`, `${fixed(ratio * 100, 0)} % of empty`, mark(known(ratio) === undefined ? undefined : ratio >= AIMS.issuanceRatio)],
    [`every admin page ≤ ${AIMS.pageMs} ms`, `worst ${ms(worstPage)} (${worstName})`, mark(pages.length ? worstPage <= AIMS.pageMs : undefined)],
    [`p99 of token requests during purge ≤ ${AIMS.purgeP99}× idle`, `${ms(r.duringPurge.p99)} vs ${ms(r.idle.p99)} (${fixed(purgeRatio, 1)}×)`, mark(known(purgeRatio) === undefined ? undefined : purgeRatio <= AIMS.purgeP99)],
    [`no request waits > ${AIMS.waitMs} ms`, `longest ${ms(wait)} (purge ${ms(r.duringPurge.max)}, admin reads ${ms(r.duringAdmin.max)})`, mark(wait <= AIMS.waitMs)],
  ];
}

function report(r: SizeResult, markdown: boolean): string {
  const table = markdown ? markdownTable : formatTable;
  const name = r.driver === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const side = (s: ScenarioSummary | undefined, label: string) =>
    s
      ? [
          [label, 'filled', fixed(s.ours[0]!.rps), ms(s.ours[0]!.p99), `${fixed((s.ours[0]!.rps / s.theirs!.rps) * 100)} %`],
          [label, 'empty', fixed(s.theirs!.rps), ms(s.theirs!.p99), ''],
        ]
      : [];
  const page = (t: PageTiming) => [t.list, String(t.status), ms(t.firstMs), String(t.rows), `${fixed(t.bytes / 1024, 1)} KB`, t.deepAt === undefined ? '—' : ms(t.deepMs), t.deepAt === undefined ? 'no cursor' : human(t.deepAt), t.note ?? ''];
  const pageHeader = ['List', 'status', 'first page', 'rows', 'size', 'deep page', 'deep at', 'note'];
  const lines = [
    `${markdown ? '### ' : '## '}Scale · ${name} · ${human(r.issuances)} issuances, ${human(r.plan.audit)} audit events, ${human(r.plan.clients)} clients, ${human(r.plan.users)} users, ${r.plan.resources} resources`,
    `filled in ${Object.entries(r.fillSeconds).map(([t, s]) => `${t} ${s.toFixed(1)} s`).join(', ')}; ${fixed(r.plan.expiredShare * 100)} % of issuances are expired machine tokens`,
    '',
    table(
      ['Table', 'rows', 'MiB (with indexes)', 'KB/row bulk-loaded', 'rows the server wrote', 'KB/row as written'],
      r.sizes.map((s, i) => [s.table, String(s.rows), fixed(s.bytes / 1048576, 1), kb(s.bytes, s.rows), String(r.written[i]!.rows), r.written[i]!.rows >= 1000 ? kb(r.written[i]!.bytes, r.written[i]!.rows) : '—']),
    ),
    '',
    table(['Requests', 'database', 'req/s', 'p99', 'of empty'], [...side(r.issuance, 'client_credentials'), ...side(r.introspection, 'introspection')]),
    '',
    table(pageHeader, r.lists.map(page)),
    '',
    table(pageHeader, r.filters.map(page)),
    '',
    table(['Purge target', 'deleted', 'duration'], r.purges.map((p) => [p.target, String(p.deleted), `${p.seconds.toFixed(1)} s`])),
    '',
    table(
      ['Token requests', 'req/s', 'p50', 'p99', 'longest', 'failed'],
      [
        ['idle', fixed(r.idle.rps), ms(r.idle.p50), ms(r.idle.p99), ms(r.idle.max), String(r.idle.failures)],
        ['during purges', fixed(r.duringPurge.rps), ms(r.duringPurge.p50), ms(r.duringPurge.p99), ms(r.duringPurge.max), String(r.duringPurge.failures)],
        ['during admin reads', fixed(r.duringAdmin.rps), ms(r.duringAdmin.p50), ms(r.duringAdmin.p99), ms(r.duringAdmin.max), String(r.duringAdmin.failures)],
      ],
    ),
    '',
    table(['Aim (issue 25)', 'measured', ''], aims(r)),
  ];
  return lines.join('\n');
}

pinSelf(LOAD_CORE);
if (mode === 'compiled') ensureBuilt(log);
const started = new Date();
const loadBefore = loadavg();
const cleanups: (() => unknown)[] = [];
const results: SizeResult[] = [];
try {
  for (const driver of scale.drivers) {
    if (driver === 'postgres' && !(await postgresAvailable())) {
      if (process.env.CI === 'true') throw new Error('PostgreSQL is not reachable at 127.0.0.1:5432 (CI=true: it must run)');
      log('PostgreSQL is not reachable: skipping it');
      continue;
    }
    for (const size of scale.sizes) {
      results.push(await measure(driver, size, cleanups));
      // Each size's databases go as soon as it is measured: 5M rows take gigabytes.
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    }
  }
  const context = [
    machineSummary(),
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')} · after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `authplane ${mode}, default plugins + oauth, rate limit off; token load ${options.runs} × ${options.duration} s, ${options.connections} connections, ` +
      `warm-up ${options.warmup} s; probe ${scale.probeConnections} connections; deep pages ${human(scale.deep)} rows in`,
  ];
  const notes = [
    'KB/row bulk-loaded: the table with its indexes after the load (indexes built sorted, so densely packed) over its rows; ' +
      'as written: what the table grew by while the server issued tokens, over the rows it added — the figure for growth.',
    'Purges run as `authserver purge --only <target>` next to the running server (not pinned), one target after another, with token requests running.',
  ];
  console.log([`## Scale — ${runDate(started)}`, ...context, '', ...results.map((r) => report(r, false)), '', ...notes].join('\n\n'));
  if (options.write) {
    const markdown = [`## Scale — ${runDate(started)}`, '', ...context.map((c) => `${c}  `), '', ...results.map((r) => report(r, true)), '', ...notes.map((n) => `- ${n}`)].join('\n');
    const paths = writeResults(`scale-${runDate(started)}-${scale.drivers.join('+')}-${scale.sizes.map(human).join('+')}`, { date: started.toISOString(), options, scale, machine: machineSummary(), results }, markdown);
    log(`wrote ${paths.json} and ${paths.markdown}`);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
