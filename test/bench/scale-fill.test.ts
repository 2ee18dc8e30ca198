/**
 * The scale bench's bulk fill (bench/lib/scale-fill.ts) writes rows the real server reads as its own: a small fill on
 * each driver, then the server started on it answers the admin reads, filters, revocation and introspection from
 * those rows, and each purge target deletes exactly the rows the fill made expired. A schema change the fill does not
 * follow fails here instead of quietly skewing the benchmark.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchClientId, benchUserEmail, captureTemplates, fill, issuanceKind, query, type Generators, type Target, type Templates } from '../../bench/lib/scale-fill.js';
import { purgeTarget } from '../../bench/lib/scale-measure.js';
import { BENCH_ADMIN_KEY, startAuthPlane, writeOAuthConfig, type RunningServer } from '../../bench/lib/servers.js';
import { freshPostgresDatabase, requirePostgres } from '../helpers/postgres.js';

const PLAN = { issuances: 1000, audit: 300, clients: 40, users: 20, expiredShare: 0.2 };
const DAY = 86_400_000;

function serverEnv(dir: string, target: Target): NodeJS.ProcessEnv {
  return {
    AUTHPLANE_RATE_LIMIT_ENABLED: 'false',
    AUTHPLANE_STORAGE_SQLITE_PATH: join(dir, 'authserver.db'),
    ...(target.driver === 'postgres' ? { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: target.dsn } : {}),
  };
}

const start = (dir: string, target: Target) =>
  startAuthPlane({ dir, mode: 'source', logLevel: 'warn', args: ['--config', writeOAuthConfig(dir, 'source')], env: serverEnv(dir, target) });

async function adminGet(server: RunningServer, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.adminUrl}${path}`, { headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` }, signal: AbortSignal.timeout(30_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every row of an admin list, following `next` when the list pages by cursor. */
async function all(server: RunningServer, path: string, key: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let url = `${path}${path.includes('?') ? '&' : '?'}limit=1000`;
  for (let pages = 0; pages < 100; pages++) {
    const { status, body } = await adminGet(server, url);
    assert.equal(status, 200, `${url}: ${JSON.stringify(body)}`);
    rows.push(...(body[key] as Record<string, unknown>[]));
    if (typeof body.next !== 'string') return rows;
    url = `${path}${path.includes('?') ? '&' : '?'}limit=1000&cursor=${encodeURIComponent(body.next)}`;
  }
  throw new Error(`${path}: more than 100 pages`);
}

async function fillAndRead(target: Target, dir: string): Promise<void> {
  const first = await start(dir, target);
  const templates = await captureTemplates(first, target, 3).finally(() => first.stop());
  const now = Date.now();
  const { generators } = await fill(target, templates, { ...PLAN, now });
  const server = await start(dir, target);
  try {
    await readBack(server, target, dir, templates, generators, now);
  } finally {
    await server.stop();
  }
}

async function readBack(server: RunningServer, target: Target, dir: string, templates: Templates, generators: Generators, now: number): Promise<void> {

  const count = async (sql: string, params: unknown[]) => Number((await query(target, sql, params))[0]!.n);

  // Admin reads of single bulk rows: a client and a user as the API shows them.
  const client = await adminGet(server, `/admin/clients/${benchClientId(7)}`);
  assert.equal(client.status, 200, JSON.stringify(client.body));
  assert.equal(client.body.client_name, 'bench client 7');
  assert.deepEqual(client.body.grant_types, ['client_credentials']);
  const user = await adminGet(server, `/admin/users/${generators.userIds[3]}`);
  assert.equal(user.status, 200, JSON.stringify(user.body));
  assert.equal(user.body.email, benchUserEmail(3));

  // Issuance filters see exactly the rows the fill wrote for them.
  const topClient = benchClientId(0);
  const byClient = await all(server, `/admin/issuances?client=${topClient}`, 'issuances');
  assert.ok(byClient.length > 0);
  assert.equal(byClient.length, await count('select count(*) as n from token_issuances where client_id = ?', [topClient]));
  const uri = templates.resources[1]!;
  const byResource = await all(server, `/admin/issuances?resource=${encodeURIComponent(uri)}`, 'issuances');
  assert.ok(byResource.length > 0);
  assert.equal(byResource.length, await count('select count(*) as n from token_issuances where audience = ?', [JSON.stringify([uri])]));
  for (const row of byResource) assert.deepEqual(row.audience, [uri]);
  const topUser = generators.userIds[0]!;
  const byUser = await all(server, `/admin/issuances?user=${topUser}`, 'issuances');
  assert.equal(byUser.length, await count('select count(*) as n from token_issuances where subject = ?', [topUser]));
  assert.ok(byUser.every((row) => row.grant_type === 'authorization_code' && row.status === 'expired'));

  // A bulk issuance can be revoked like any other: its row is found and the revocation shows.
  const jti = String(byClient.find((row) => row.status === 'active')?.jti);
  const revoke = await fetch(`${server.adminUrl}/admin/issuances/${jti}`, { method: 'DELETE', headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` }, signal: AbortSignal.timeout(30_000) });
  assert.equal(revoke.status, 204);
  assert.equal((await adminGet(server, `/admin/issuances/${jti}`)).body.status, 'revoked');

  // The audit trail: a client's events of the last 30 days, as many as the fill placed there.
  const since = new Date(now - 29 * DAY).toISOString();
  const events = await all(server, `/admin/audit?client_id=${topClient}&since=${since}`, 'events');
  assert.ok(events.length > 0);
  assert.equal(events.length, await count('select count(*) as n from audit_events where client_id = ? and time >= ?', [topClient, Date.parse(since)]));
  assert.equal((events[0]!.detail as { grant_type?: string }).grant_type !== undefined, true);

  // The template machine client still gets tokens, and introspection answers for them, on the filled database.
  const token = await fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: templates.machineAuth },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: templates.resources[0]!, scope: 'tools/read' }),
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(token.status, 200);
  const { access_token } = (await token.json()) as { access_token: string };
  const introspection = await fetch(`${server.url}/oauth/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: templates.machineAuth },
    body: new URLSearchParams({ token: access_token }),
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(((await introspection.json()) as { active: boolean }).active, true);

  // Each purge target deletes what the fill made expired, and nothing else (within the few minutes a purge may take).
  const expiredMachine = Array.from({ length: PLAN.issuances }, (_, i) => issuanceKind(i, PLAN.expiredShare)).filter((k) => k === 'expired-machine').length;
  const purged = async (name: string) => (await purgeTarget({ mode: 'source', dir, env: serverEnv(dir, target), name })).deleted;
  assert.equal(await purged('machine_tokens'), expiredMachine);
  // The purge takes its own "now": what it may delete is bounded by the rows past retention just before and just after.
  const beyond = async (name: string, sql: string, retention: number) => {
    const before = await count(sql, [Date.now() - retention]);
    const soon = await count(sql, [Date.now() - retention + 300_000]);
    const deleted = await purged(name);
    assert.ok(deleted <= soon, `${name} deleted ${deleted} rows, more than the ${soon} past retention`);
    // Measured a moment before the purge's own clock: it deleted everything past retention by then.
    const after = await count(sql, [Date.now() - retention - 300_000]);
    assert.ok(before > 0, `the fill places ${name} rows beyond their retention`);
    assert.equal(after, 0, `${name}: rows beyond retention remain`);
    return { before, deleted };
  };
  const rows = await count('select count(*) as n from token_issuances', []);
  const userPurge = await beyond('token_issuances', 'select count(*) as n from token_issuances where expires_at < ?', 30 * DAY);
  assert.ok(userPurge.deleted >= userPurge.before, `token_issuances deleted ${userPurge.deleted} of ${userPurge.before} rows past retention`);
  assert.equal(rows - userPurge.deleted, await count('select count(*) as n from token_issuances', []));
  const eventPurge = await beyond('audit_events', 'select count(*) as n from audit_events where time < ?', 90 * DAY);
  assert.ok(eventPurge.deleted >= eventPurge.before, `audit_events deleted ${eventPurge.deleted} of ${eventPurge.before} events past retention`);
  assert.equal(await count('select count(*) as n from clients where client_id like ?', ['ap_b%']), PLAN.clients);
}

test('SQLite: the bench fill writes rows the server lists, filters, revokes and purges as its own', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-scale-fill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await fillAndRead({ driver: 'sqlite', file: join(dir, 'authserver.db') }, dir);
});

test('PostgreSQL: the bench fill writes rows the server lists, filters, revokes and purges as its own', { timeout: 600_000 }, async (t) => {
  if (!(await requirePostgres(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'authplane-scale-fill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cleanups: (() => unknown)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  const dsn = await freshPostgresDatabase({ after: (fn) => cleanups.push(fn) });
  await fillAndRead({ driver: 'postgres', dsn }, dir);
});
