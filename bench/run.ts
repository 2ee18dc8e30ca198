/**
 * `npm run bench`: our server (compiled dist/, or `--source`) against oidc-provider, every server pinned to one core
 * and the load generator to the other, every scenario warmed up and run three times, one table of medians with our
 * ratios to oidc-provider from the same run (absolute figures drift ±25 % between runs on shared machines; ratios
 * do not). Figures are printed, never asserted. A full run writes bench/results/<date>.{json,md}; `--readme`
 * quotes the table in README.md. `--smoke` (with `npm test`) runs a few hundred requests per scenario.
 *
 * Scenarios (`--only` keys): cc-sqlite, cc-postgres, introspection, jwks, discovery, code, exchange, pkjwt, id-jag, cold-start; each runs on
 * servers started for it (see runScenario).
 * Our main rows run at log level `warn` (oidc-provider logs no requests either); rows marked `log info` are a
 * second server at `info`, as operators run it (one access-log line per request). The rate limiter is off: one
 * load generator is one client address, and the limiter would measure itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresAvailable, freshPostgresDatabase } from '../test/helpers/postgres.js';
import { checkAims, formatAims } from './lib/aims.js';
import { benchKey, clientAssertionBodies, idJagFixture, JWT_PLUGINS, keyClient, OIDC_KEY_CLIENT, preparedRequest, probe, startBenchIdp } from './lib/assertions.js';
import { ensureBuilt } from './lib/build.js';
import { coldStartRows, measureColdStarts } from './cold-start.js';
import { cpuTimes, LOAD_CORE, machineSummary, pinSelf, stealPercent } from './lib/cpu.js';
import {
  clientCredentialsRequest,
  exchangeRequest,
  FIXTURES,
  introspectionRequest,
  mintCodes,
  oidcProviderAuth,
  prepareOurs,
  send,
  type OurFixture,
} from './lib/fixtures.js';
import { runScenarios, type LoadShape, type Scenario, type ServerProcess, type Side } from './lib/load.js';
import { benchOptions } from './lib/options.js';
import { rssMiB } from './lib/proc.js';
import { comparisonRows, renderTable } from './lib/report.js';
import { quoteInReadme, runDate, writeResults } from './lib/results.js';
import { oidcProviderVersion, startAuthPlane, startOidcProvider, writeOAuthConfig, type RunningServer } from './lib/servers.js';

const SCENARIOS = ['cc-sqlite', 'cc-postgres', 'introspection', 'jwks', 'discovery', 'code', 'exchange', 'pkjwt', 'id-jag', 'cold-start'] as const;
type ScenarioKey = (typeof SCENARIOS)[number];

const options = benchOptions();
const unknown = options.only.filter((key) => !SCENARIOS.includes(key as ScenarioKey));
if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
const wanted = (key: ScenarioKey) => options.only.length === 0 || options.only.includes(key);
const log = (line: string) => process.stderr.write(`${line}\n`);

pinSelf(LOAD_CORE);
const mode = options.source ? 'source' : 'compiled';
if (mode === 'compiled') ensureBuilt(log);
const mainLevel = options.logLevel ?? 'warn';
const levels = options.info && mainLevel !== 'info' ? [mainLevel, 'info'] : [mainLevel];
const label = (level: string) => (level === mainLevel ? 'authplane' : `authplane · log ${level}`);
const loadBefore = loadavg();
const cpuBefore = cpuTimes();
const started = new Date();

const cleanups: (() => unknown)[] = [];
const servers: RunningServer[] = [];

/** One of our servers with its own data directory (and database when PostgreSQL), set up for the scenarios. */
async function startOurs(level: string, storage: { dsn?: string }, codes: boolean, plugins: readonly string[] = []): Promise<OurFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startAuthPlane({
    dir,
    mode,
    logLevel: level,
    args: ['--config', writeOAuthConfig(dir, mode, undefined, plugins)],
    env: {
      AUTHPLANE_RATE_LIMIT_ENABLED: 'false',
      // Codes are minted in one go before each run; the default two minutes would be tight for a slow machine.
      AUTHPLANE_OAUTH_CODE_TTL: '600',
      ...(storage.dsn ? { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: storage.dsn } : {}),
    },
  });
  servers.push(server);
  return prepareOurs(server, { codes });
}

/** PostgreSQL for the cc-postgres scenario: skipped when unreachable, except under CI=true where it must run. */
async function postgresDatabases(count: number): Promise<string[] | undefined> {
  if (!(await postgresAvailable())) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL is not reachable at 127.0.0.1:5432 (CI=true: the PostgreSQL scenario must run)');
    log('PostgreSQL is not reachable: skipping client_credentials · PostgreSQL');
    return undefined;
  }
  const dsns: string[] = [];
  for (let i = 0; i < count; i++) dsns.push(await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) }));
  return dsns;
}

const settle = () => new Promise((r) => setTimeout(r, options.smoke ? 100 : 1000));
const measured = (server: RunningServer): ServerProcess => ({ pid: server.pid, idleMiB: rssMiB(server.pid) });

/** Stops servers a scenario is done with (the rest are stopped at the end). */
async function stopServers(list: RunningServer[]): Promise<void> {
  await Promise.all(list.map((s) => s.stop()));
  for (const s of list) servers.splice(servers.indexOf(s), 1);
}

/**
 * One scenario on servers of its own, started for it and stopped after it: what a scenario measures (memory above
 * all) does not depend on what ran before it — a heap grown by token load would otherwise be what the cheap
 * endpoints' peak shows, on either side.
 */
async function runScenario(key: Exclude<ScenarioKey, 'cold-start'>): Promise<Awaited<ReturnType<typeof runScenarios>>> {
  const dsns = key === 'cc-postgres' ? await postgresDatabases(levels.length) : undefined;
  if (key === 'cc-postgres' && !dsns) return [];
  const assertions = key === 'pkjwt' || key === 'id-jag';
  const ours = await Promise.all(levels.map((level, i) => startOurs(level, { dsn: dsns?.[i] }, key === 'code', assertions ? JWT_PLUGINS : [])));
  // The JWT-assertion scenarios' baseline: oidc-provider's client_credentials with a private_key_jwt client.
  const clientKey = assertions ? await benchKey('bench-client-key') : undefined;
  const theirs = await startOidcProvider({ profile: 'tokens', env: clientKey ? { BENCH_CLIENT_JWK: JSON.stringify(clientKey.publicJwk) } : {} });
  servers.push(theirs);
  await settle();
  const processes = new Map([...ours.map((f) => f.server), theirs].map((s) => [s, measured(s)]));
  const ourSides = (request: (f: OurFixture) => Side['request'], extra: Partial<Side> = {}): Side[] =>
    ours.map((f, i) => ({ server: label(levels[i]!), request: request(f), process: processes.get(f.server), ...extra }));
  const theirSide = (request: Side['request'], extra: Partial<Side> = {}): Side => ({ server: 'oidc-provider', request, process: processes.get(theirs), ...extra });
  // Each request of an assertion run consumes one single-use body: a fixed count per run (and per warm-up).
  const fixedShape = (base: LoadShape): LoadShape => ({ connections: base.connections, amount: base.amount ?? options.assertions });
  let bodyFiles = 0;
  const bodiesDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-bodies-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return () => join(dir, `bodies-${bodyFiles++}.txt`);
  };
  const theirKeySide = async (): Promise<Side> => {
    const write = (file: string, count: number) => clientAssertionBodies(clientKey!, OIDC_KEY_CLIENT, theirs.url, count, file);
    await probe(`${theirs.url}/token`, undefined, write);
    return theirSide(preparedRequest(`${theirs.url}/token`, {}, write, bodiesDir()), { shape: fixedShape });
  };
  const theirTokenRequest = () => clientCredentialsRequest(`${theirs.url}/token`, oidcProviderAuth, FIXTURES.resource);

  let scenario: Scenario;
  switch (key) {
    case 'cc-sqlite':
      scenario = { name: 'client_credentials · SQLite', ours: ourSides((f) => f.tokenRequest), theirs: theirSide(theirTokenRequest()) };
      break;
    case 'cc-postgres':
      scenario = { name: 'client_credentials · PostgreSQL', ours: ourSides((f) => f.tokenRequest), theirs: theirSide(theirTokenRequest()) };
      break;
    case 'introspection': {
      // Each side introspects a token it issued, asked by that token's client: ours a JWT (signature, denylist),
      // oidc-provider an opaque token (a store lookup) — it refuses to introspect its JWTs.
      const ourTokens = new Map(await Promise.all(ours.map(async (f) => [f, String((await send(f.tokenRequest)).access_token)] as const)));
      const opaque = await send(clientCredentialsRequest(`${theirs.url}/token`, oidcProviderAuth, FIXTURES.opaqueResource));
      scenario = {
        name: 'introspection',
        ours: ourSides((f) => introspectionRequest(`${f.server.url}/oauth/introspect`, f.machineAuth, ourTokens.get(f)!)),
        theirs: theirSide(introspectionRequest(`${theirs.url}/token/introspection`, oidcProviderAuth, String(opaque.access_token))),
      };
      break;
    }
    case 'jwks':
      scenario = { name: 'JWKS', ours: ourSides((f) => ({ url: `${f.server.url}/.well-known/jwks.json` })), theirs: theirSide({ url: `${theirs.url}/jwks` }) };
      break;
    case 'discovery':
      scenario = {
        name: 'discovery',
        ours: ourSides((f) => ({ url: `${f.server.url}/.well-known/openid-configuration` })),
        theirs: theirSide({ url: `${theirs.url}/.well-known/openid-configuration` }),
      };
      break;
    case 'code': {
      // Each run redeems exactly the codes minted for it (through the authorize endpoint, logged in, consent given);
      // oidc-provider has no comparable browserless flow, so the baseline is its client_credentials rate.
      const codeDir = mkdtempSync(join(tmpdir(), 'authplane-bench-codes-'));
      cleanups.push(() => rmSync(codeDir, { recursive: true, force: true }));
      let batch = 0;
      const prepared = (f: OurFixture) => async (shape: LoadShape) => {
        const file = join(codeDir, `codes-${batch++}.txt`);
        await mintCodes(f, shape.amount!, file);
        return { url: `${f.server.url}/oauth/token`, method: 'POST' as const, headers: { 'content-type': 'application/x-www-form-urlencoded' }, bodiesFile: file };
      };
      const shape = (base: LoadShape): LoadShape => ({ connections: base.connections, amount: base.amount ?? options.codes });
      scenario = { name: 'authorization_code redemption', ours: ourSides(prepared, { shape }), theirs: theirSide(theirTokenRequest()) };
      break;
    }
    case 'exchange': {
      // One subject token, exchanged by its own client on every request; oidc-provider has no token exchange grant
      // built in, so the baseline is its client_credentials rate.
      const requests = new Map(await Promise.all(ours.map(async (f) => [f, await exchangeRequest(f)] as const)));
      scenario = { name: 'token exchange', ours: ourSides((f) => requests.get(f)!), theirs: theirSide(theirTokenRequest()) };
      break;
    }
    case 'pkjwt': {
      // client_credentials, each request authenticated by a freshly signed client assertion (jti single use on both).
      const next = bodiesDir();
      const writers = new Map(
        await Promise.all(
          ours.map(async (f) => {
            const clientId = await keyClient(f, clientKey!);
            const write = (file: string, count: number) => clientAssertionBodies(clientKey!, clientId, `${f.server.url}/oauth/token`, count, file);
            await probe(`${f.server.url}/oauth/token`, undefined, write);
            return [f, write] as const;
          }),
        ),
      );
      scenario = {
        name: 'client_credentials · private_key_jwt',
        ours: ourSides((f) => preparedRequest(`${f.server.url}/oauth/token`, {}, writers.get(f)!, next), { shape: fixedShape }),
        theirs: await theirKeySide(),
      };
      break;
    }
    case 'id-jag': {
      // jwt-bearer with a fresh ID-JAG per request from a loopback IdP (its JWKS fetched once); the client
      // authenticates with a secret. oidc-provider has no ID-JAG grant: the baseline is its private_key_jwt
      // client_credentials, the nearest thing it does (one signed JWT verified per request).
      const idp = await startBenchIdp();
      cleanups.push(() => idp.close());
      const next = bodiesDir();
      const fixtures = new Map(await Promise.all(ours.map(async (f) => [f, await idJagFixture(f, idp)] as const)));
      scenario = {
        name: 'ID-JAG (jwt-bearer)',
        ours: ourSides((f) => {
          const x = fixtures.get(f)!;
          return preparedRequest(x.tokenUrl, { authorization: x.authorization }, x.bodies, next);
        }, { shape: fixedShape }),
        theirs: await theirKeySide(),
      };
      break;
    }
  }
  try {
    return await runScenarios([scenario], options, log);
  } finally {
    await stopServers([...ours.map((f) => f.server), theirs]);
  }
}

try {
  const summaries: Awaited<ReturnType<typeof runScenarios>> = [];
  for (const key of SCENARIOS) if (key !== 'cold-start' && wanted(key)) summaries.push(...(await runScenario(key)));
  const rows = comparisonRows(summaries);
  const coldStarts = wanted('cold-start') ? await measureColdStarts(options, [mode]) : [];
  rows.push(...coldStartRows(coldStarts));
  const aims = checkAims(rows, label(mainLevel), levels.includes('info') && mainLevel !== 'info' ? label('info') : undefined);
  const loadAfter = loadavg();
  const steal = stealPercent(cpuBefore, cpuTimes());

  const heading = options.smoke
    ? `## AuthPlane vs oidc-provider — smoke run (${options.amount} requests per run; measures nothing)`
    : `## AuthPlane vs oidc-provider — ${runDate(started)} (${options.runs} runs × ${options.duration} s, median; ${options.connections} connections; warm-up ${options.warmup} s)`;
  const context = [
    machineSummary(),
    `load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')} · after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}` +
      (Number.isFinite(steal) ? ` · CPU stolen by the hypervisor during the run ${steal.toFixed(1)} %` : ''),
    `authplane ${mode}, default plugins + oauth, rate limit off, log level ${levels.join(' and ')} · oidc-provider ${oidcProviderVersion()}, ` +
      'in-memory adapter, ES256 JWT access tokens',
  ];
  const notes = [
    'Ratios (×) are ours ÷ oidc-provider from the same run: req/s higher is better; p99 and RSS lower is better. ' +
      'CPU × is requests per server CPU second, ours ÷ theirs: the req/s ratio both servers would show with a core each to ' +
      'themselves, steadier than req/s when other work shares the machine.',
    'client_credentials: ours writes a durable issuance row per token (group commit) before answering; oidc-provider keeps no record of JWT tokens.',
    'introspection: the same token each time, as a resource server checks one token per call: ours verifies the JWT once ' +
      '(then remembers the signature) and reads the denylist every time; oidc-provider looks up an opaque token in memory ' +
      '(it refuses to introspect its JWTs).',
    'Each scenario runs on servers started for it, so its memory figures do not carry a heap grown by the scenarios before it.',
    'authorization_code redemption: each request redeems a fresh code (minted through login and consent beforehand); the baseline is oidc-provider\'s client_credentials.',
    'token exchange: each request exchanges the same client_credentials token, by the client it was issued to, for one at the same ' +
      'resource and scope (verify, revocation check, gates, sign, an issuance row with its parent); the baseline is oidc-provider\'s ' +
      'client_credentials (it has no token exchange grant built in).',
    'client_credentials · private_key_jwt: each request carries a client assertion signed beforehand (ES256, its own jti: both servers refuse a replay), ' +
      "against oidc-provider's client_credentials with a private_key_jwt client; ID-JAG (jwt-bearer): each request a fresh ID-JAG from a loopback IdP " +
      '(typ, signature, aud, iat, jti, policy, subject, scope), the client authenticated by its secret; the same oidc-provider baseline. ' +
      `Both run a fixed ${options.assertions} requests per warm-up and per run (each assertion is single use), about what a timed run serves.`,
    'cold start: p50 = median spawn → first 200, p99 = slowest run, RSS idle after settling; ours also shows the first start (key generation, migrations).',
    'PostgreSQL runs unpinned (a system service), so it shares both cores.',
  ];
  const text = [heading, ...context, '', renderTable(rows), '', 'Aims:', ...formatAims(aims), '', ...notes].join('\n');
  const markdown = [
    heading.replace(/^## /, '### '),
    '',
    ...context.map((line) => `${line}  `),
    '',
    renderTable(rows, { markdown: true }),
    '',
    'Aims:',
    '',
    ...formatAims(aims),
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
  console.log(text);

  if (options.write) {
    const date = runDate(started);
    const paths = writeResults(
      date,
      { date: started.toISOString(), options, machine: machineSummary(), loadavg: { before: loadBefore, after: loadAfter }, stealPercent: steal, mode, levels, scenarios: summaries, coldStarts, rows, aims },
      markdown,
    );
    log(`wrote ${paths.json} and ${paths.markdown}`);
  }
  if (options.readme) {
    quoteInReadme(markdown);
    log('quoted the table in README.md');
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  for (const cleanup of cleanups.reverse()) await cleanup();
}
