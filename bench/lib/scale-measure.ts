/**
 * What bench/scale.ts measures on a filled server: admin list pages (the first page, and a deep one by following the
 * response's `next` cursor where the list has one), and token requests watched by a probe while other work runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { LOAD_CORE, pinned } from './cpu.js';
import type { LoadRequest } from './load.js';
import { median } from './stats.js';
import { authplaneCommand, BENCH_ADMIN_KEY, type AuthPlaneOptions, type RunningServer } from './servers.js';

export interface PageTiming {
  list: string;
  /** Median of `repeat` requests of the first page, ms. */
  firstMs: number;
  /** Rows and bytes of the first page. */
  rows: number;
  bytes: number;
  status: number;
  /** A page `deepAt` rows in, reached by following `next`; absent when the list has no cursor. */
  deepMs?: number;
  deepAt?: number;
  note?: string;
}

interface Page {
  ms: number;
  status: number;
  rows: number;
  bytes: number;
  next?: string | null;
}

async function get(server: RunningServer, path: string): Promise<Page> {
  const started = performance.now();
  const response = await fetch(`${server.adminUrl}${path}`, { headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` }, signal: AbortSignal.timeout(120_000) });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: counted as zero rows, the status says what happened.
  }
  // The list is the response's array member, whatever the endpoint calls it (`clients`, `events`, …).
  const list = Object.values(body).find(Array.isArray) as unknown[] | undefined;
  const next = 'next' in body ? (body.next as string | null) : undefined;
  return { ms, status: response.status, rows: list?.length ?? 0, bytes: Buffer.byteLength(text), next };
}

const withParams = (path: string, params: Record<string, string>) => {
  const [base, query] = path.split('?');
  const search = new URLSearchParams(query);
  for (const [k, v] of Object.entries(params)) search.set(k, v);
  const text = search.toString();
  return text ? `${base}?${text}` : base!;
};

export interface ListSpec {
  list: string;
  path: string;
  /** Asked instead when the path alone is refused (today's issuance list needs a filter). */
  fallback?: string;
}

/**
 * The first page (median of `repeat`), then — when the response has a `next` cursor — pages of 1000 followed until
 * `deep` rows are behind, and the default-size page there timed the same way.
 */
export async function timeList(server: RunningServer, spec: ListSpec, options: { repeat: number; deep: number }): Promise<PageTiming> {
  let path = spec.path;
  let first = await get(server, path);
  let note: string | undefined;
  if (first.status === 400 && spec.fallback) {
    path = spec.fallback;
    first = await get(server, path);
    note = `as ${path}`;
  }
  const firsts = [first.ms];
  for (let i = 1; i < options.repeat; i++) firsts.push((await get(server, path)).ms);
  const timing: PageTiming = { list: spec.list, firstMs: median(firsts), rows: first.rows, bytes: first.bytes, status: first.status, note };
  if (first.next === undefined) return timing;
  let cursor = first.next;
  let behind = first.rows;
  while (cursor && behind < options.deep) {
    const page = await get(server, withParams(path, { cursor, limit: '1000' }));
    if (page.status !== 200) return { ...timing, note: `cursor walk answered ${page.status}` };
    behind += page.rows;
    cursor = page.next ?? null;
  }
  if (!cursor) return { ...timing, deepAt: behind, note: `${behind} rows in all` };
  const deep: number[] = [];
  for (let i = 0; i < options.repeat; i++) deep.push((await get(server, withParams(path, { cursor }))).ms);
  return { ...timing, deepMs: median(deep), deepAt: behind };
}

export interface ProbeResult {
  total: number;
  rps: number;
  seconds: number;
  p50: number;
  p99: number;
  /** The longest single request, ms. */
  max: number;
  failures: number;
}

const PROBE = join(import.meta.dirname, 'wait-probe.mjs');

/** Token requests sent back to back on the load core until `stop()`; then their latencies. */
export async function startProbe(request: LoadRequest, connections: number): Promise<{ stop(): Promise<ProbeResult> }> {
  const options = { url: request.url, method: request.method, headers: request.headers, body: request.body, connections };
  const [command, args] = pinned(LOAD_CORE, process.execPath, [PROBE, JSON.stringify(options)]);
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (stdout.includes('ready\n')) resolve();
    });
    child.on('close', (code) => reject(new Error(`probe exited with ${code}: ${stderr}`)));
  });
  return {
    async stop() {
      child.kill('SIGTERM');
      await closed;
      const line = stdout.trim().split('\n').pop()!;
      return JSON.parse(line) as ProbeResult;
    },
  };
}

/** Runs `work` while the probe sends token requests; the probe's figures and `work`'s result. */
export async function underProbe<T>(request: LoadRequest, connections: number, work: () => Promise<T>): Promise<{ probe: ProbeResult; result: T }> {
  const probe = await startProbe(request, connections);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await probe.stop();
    throw err;
  }
  return { probe: await probe.stop(), result };
}

export interface PurgeResult {
  target: string;
  deleted: number;
  seconds: number;
  output: string;
}

/**
 * `authserver purge --only <name>` as an operator runs it, next to the running server, with the server's config
 * (`bench.config.mjs` in `dir`) and storage settings (`env`): its duration (CLI start included) and rows deleted.
 */
export function purgeTarget(options: { mode: AuthPlaneOptions['mode']; dir: string; env: NodeJS.ProcessEnv; name: string }): Promise<PurgeResult> {
  const { mode, dir, name } = options;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    AUTHPLANE_SIGNING_KEY_PATH: join(dir, 'keys'),
    AUTHPLANE_ADMIN_API_KEY: BENCH_ADMIN_KEY,
    AUTHPLANE_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const started = performance.now();
  const args = [...authplaneCommand(mode), 'purge', '--only', name, '--timeout', '30m', '--config', 'bench.config.mjs'];
  const child = spawn(process.execPath, args, { cwd: dir, env });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const match = new RegExp(`^${name}: (\\d+) deleted`, 'm').exec(output);
      if (code !== 0 || !match) return reject(new Error(`purge ${name} exited with ${code}: ${output}`));
      resolve({ target: name, deleted: Number(match[1]), seconds, output: output.trim() });
    }),
  );
}
