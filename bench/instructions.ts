/**
 * Instructions our server executes per request, counted by valgrind's callgrind: a figure that, unlike req/s or CPU
 * time, does not move with what else runs on the machine, for comparing two settings on a loaded host (log level
 * info against warn, say). The server runs under callgrind (some fifty times slower), is warmed up, its counters are
 * zeroed, `--requests` are sent over `--connections`, and the instructions counted since are divided by them.
 *
 *   node --conditions=authplane-source --import tsx bench/instructions.ts [--scenario cc|introspection|jwks|pkjwt|id-jag]
 *     [--a-env K=V,…] [--b-env K=V,…] [--a-root DIR] [--b-root DIR] [--requests 3000] [--warmup 5000] [--connections 10]
 *
 * Needs valgrind (callgrind_control) on the PATH. Not part of `npm run bench`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt } from './lib/build.js';
import { assertionRequests, JWT_PLUGINS } from './lib/assertions.js';
import { introspectionRequest, prepareOurs, send, type OurFixture } from './lib/fixtures.js';
import { runLoad, type LoadRequest } from './lib/load.js';
import { envList } from './lib/options.js';
import { authplaneCommand, BENCH_ADMIN_KEY, freePort, waitForOk, writeOAuthConfig, type RunningServer } from './lib/servers.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'cc' },
    'a-env': { type: 'string', default: 'AUTHPLANE_LOG_LEVEL=warn' },
    'b-env': { type: 'string', default: 'AUTHPLANE_LOG_LEVEL=info' },
    requests: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '10' },
    // Another built checkout for a side (as bench/compare.ts --a-root): a change against the commit before it.
    'a-root': { type: 'string' },
    'b-root': { type: 'string' },
  },
});

ensureBuilt();
const singleUse = values.scenario === 'pkjwt' || values.scenario === 'id-jag';

/** The request of a run of `count`: for the assertion scenarios, a fresh file of single-use bodies each time. */
async function scenarioRequest(fixture: OurFixture, dir: string, cleanups: (() => unknown)[]): Promise<(count: number) => Promise<LoadRequest>> {
  const url = fixture.server.url;
  const assertions = await assertionRequests(values.scenario!, fixture, join(dir, 'bodies.txt'), cleanups);
  if (assertions) return assertions;
  const request: LoadRequest =
    values.scenario === 'introspection'
      ? introspectionRequest(`${url}/oauth/introspect`, fixture.machineAuth, String((await send(fixture.tokenRequest)).access_token))
      : values.scenario === 'jwks'
        ? { url: `${url}/.well-known/jwks.json` }
        : fixture.tokenRequest;
  return async () => request;
}

/** Instructions callgrind has counted in `pid` since its last zeroing, every thread (`callgrind_control -e`). */
function instructions(pid: number): number {
  const out = spawnSync('callgrind_control', ['-e', String(pid)], { encoding: 'utf8' }).stdout;
  const threads = [...out.matchAll(/^\s*Th\s+\d+\s+([\d,]+)/gm)].map((m) => Number(m[1]!.replaceAll(',', '')));
  if (threads.length === 0) throw new Error(`no totals from callgrind_control:\n${out}`);
  return threads.reduce((a, b) => a + b, 0);
}

async function measure(label: string, env: Record<string, string>, root?: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `authplane-instructions-${label}-`));
  const [port, adminPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...authplaneCommand('compiled', root), 'serve', '--config', writeOAuthConfig(dir, 'compiled', root, singleUse ? JWT_PLUGINS : [])],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        AUTHPLANE_SERVER_ISSUER: url,
        AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}`,
        AUTHPLANE_ADMIN_ADDRESS: `127.0.0.1:${adminPort}`,
        AUTHPLANE_STORAGE_SQLITE_PATH: join(dir, 'authserver.db'),
        AUTHPLANE_SIGNING_KEY_PATH: join(dir, 'keys'),
        AUTHPLANE_ADMIN_API_KEY: BENCH_ADMIN_KEY,
        AUTHPLANE_RATE_LIMIT_ENABLED: 'false',
        ...env,
      },
    },
  );
  const cleanups: (() => unknown)[] = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  try {
    await waitForOk(`${url}/health`, child, 600_000, 200);
    const server = { name: label, pid: child.pid!, url, adminUrl: `http://127.0.0.1:${adminPort}`, readyMs: 0, stderr: () => stderr, stop: async () => null } as RunningServer;
    const fixture = await prepareOurs(server, { codes: false });
    const request = await scenarioRequest(fixture, dir, cleanups);
    const connections = Number(values.connections);
    await runLoad(await request(Number(values.warmup)), { amount: Number(values.warmup), connections });
    const measured = await request(Number(values.requests));
    spawnSync('callgrind_control', ['-z', String(child.pid)]);
    const before = instructions(child.pid!);
    const result = await runLoad(measured, { amount: Number(values.requests), connections });
    const perRequest = (instructions(child.pid!) - before) / result.total;
    console.log(`${label} (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}): ${Math.round(perRequest)} instructions per request (${result.total} requests, ${result.non2xx} non-2xx)`);
    return perRequest;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${stderr}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    for (const cleanup of cleanups) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

const a = await measure('A', envList(values['a-env']!), values['a-root']);
const b = await measure('B', envList(values['b-env']!), values['b-root']);
console.log(`B ÷ A instructions per request ${(b / a).toFixed(3)}`);
