import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { clients } from 'authplane/plugins';
import { requirePostgres } from '../../helpers/postgres.js';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli, startServer, type TestServer } from '../../helpers/server.js';

const HOUR = 3_600_000;

async function events(srv: TestServer, query = ''): Promise<{ action: string; user_id: string | null; client_id: string | null; time: string }[]> {
  const response = await srv.admin(`/admin/audit${query ? `?${query}` : ''}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).events;
}

/** Events at known times, through the same audit bus every plugin emits on. */
async function seed(srv: TestServer, now: number): Promise<void> {
  const audit = srv.server.runtimeApi().audit;
  audit.emit({ action: 'user_login', user_id: 'u1', time: new Date(now - 1 * HOUR) });
  audit.emit({ action: 'user_login', user_id: 'u2', time: new Date(now - 2 * HOUR) });
  audit.emit({ action: 'client_created', client_id: 'c1', actor_id: 'admin-api', time: new Date(now - 3 * HOUR) });
  audit.emit({ action: 'token_issued', user_id: 'u1', client_id: 'c1', time: new Date(now - HOUR / 2), detail: { grant_type: 'authorization_code' } });
  audit.emit({ action: 'user_login', user_id: 'u1', time: new Date(now - 72 * HOUR) });
  await audit.flush();
}

test('an admin action is queryable with actor, client, IP, request id and detail', async (t) => {
  const srv = await startServer(t, { plugins: [clients()] });
  const created = await srv.admin('/admin/clients', {
    method: 'POST',
    headers: { 'x-request-id': 'req-audit-1' },
    body: JSON.stringify({ client_name: 'Audited', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', scope: 'a' }),
  });
  const { client_id } = await created.json();
  await srv.server.runtimeApi().audit.flush();
  const [event] = await events(srv, `client_id=${client_id}`);
  assert.ok(event);
  const full = event as unknown as Record<string, unknown>;
  assert.equal(full.action, 'client_created');
  assert.equal(full.actor_id, 'admin-api');
  assert.equal(full.client_id, client_id);
  assert.equal(full.ip, '127.0.0.1');
  assert.equal(full.request_id, 'req-audit-1');
  assert.equal(full.user_id, null);
  assert.ok('trace_id' in full);
  assert.match(full.id as string, /^[0-9a-f-]{36}$/);
  assert.match(full.time as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.deepEqual(full.detail, {
    client_name: 'Audited',
    registration_source: 'admin',
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
  });
});

async function filterScenario(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<void> {
  const srv = await startServer(t, { storage });
  const now = Date.now();
  await seed(srv, now);
  const iso = (ms: number) => new Date(ms).toISOString();

  const lastDay = await events(srv);
  assert.deepEqual(lastDay.map((e) => e.action), ['token_issued', 'user_login', 'user_login', 'client_created'], 'default: the last 24 h');
  const times = lastDay.map((e) => Date.parse(e.time));
  assert.deepEqual(times, [...times].sort((a, b) => b - a));

  assert.deepEqual((await events(srv, 'user_id=u1')).map((e) => e.action), ['token_issued', 'user_login']);
  assert.deepEqual((await events(srv, 'client_id=c1')).map((e) => e.action), ['token_issued', 'client_created']);
  assert.deepEqual((await events(srv, 'action=user_login')).map((e) => e.user_id), ['u1', 'u2']);
  assert.deepEqual((await events(srv, 'action=user_login&user_id=u2')).length, 1);
  assert.equal((await events(srv, `since=${iso(now - 96 * HOUR)}`)).length, 5);
  const old = await events(srv, `since=${iso(now - 96 * HOUR)}&until=${iso(now - 48 * HOUR)}`);
  assert.deepEqual(old.map((e) => e.time), [iso(now - 72 * HOUR)]);
  assert.equal((await events(srv, `until=${iso(now - 60 * HOUR)}`)).length, 1, 'until alone means the day before it');
  assert.equal((await events(srv, `until=${iso(now - 20 * HOUR)}`)).length, 0);
  assert.deepEqual((await events(srv, 'limit=2')).map((e) => e.action), ['token_issued', 'user_login']);
  const offset = new Date(now - 96 * HOUR + 2 * HOUR).toISOString().replace('Z', '+02:00');
  assert.equal((await events(srv, `since=${encodeURIComponent(offset)}`)).length, 5, 'offsets other than Z are understood');
}

test('audit events are filtered by window, user, client, action and limit, newest first', (t) => filterScenario(t, 'sqlite'));

test('audit events are filtered the same way on PostgreSQL', async (t) => {
  if (await requirePostgres(t)) await filterScenario(t, 'postgres');
});

test('malformed or out-of-bounds audit parameters are 400 problems naming the parameter', async (t) => {
  const srv = await startServer(t);
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const cases: [string, string][] = [
    ['since=yesterday', 'since'],
    ['since=2025-02-30T00:00:00Z', 'since'],
    ['since=2025-01-01', 'since'],
    ['since=2025-01-01T10:00:00', 'since'],
    ['until=2025-13-01T00:00:00Z', 'until'],
    [`since=${iso(now - HOUR)}&until=${iso(now - 2 * HOUR)}`, 'since'],
    [`since=${iso(now - 31 * 24 * HOUR)}`, 'since'],
    [`since=${iso(now - 40 * 24 * HOUR)}&until=${iso(now - 5 * 24 * HOUR)}`, 'since'],
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=1.5', 'limit'],
    ['action=user_login&action=token_issued', 'action'],
    ['user_id=', 'user_id'],
    [`client_id=${'x'.repeat(513)}`, 'client_id'],
    ['actor=admin-api', 'actor'],
  ];
  for (const [query, field] of cases) {
    const response = await srv.admin(`/admin/audit?${query}`);
    assert.equal(response.status, 400, query);
    assert.equal(response.headers.get('content-type'), 'application/problem+json', query);
    const problem = await response.json();
    assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), [field], query);
    assert.ok(problem.detail.startsWith(`${field}: `), problem.detail);
  }
  assert.equal((await srv.admin(`/admin/audit?since=${iso(now - 30 * 24 * HOUR + 60_000)}&limit=1000`)).status, 200, 'the bounds themselves are allowed');
});

test('authserver admin audit list prints the same events and refuses bad filters', async (t) => {
  const dir = repoTempDir(t, 'audit-cli-');
  const settings = { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') } };
  writeConfigFile(dir, { settings });
  const srv = await startServer(t, { dir });
  await seed(srv, Date.now());
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false' };

  const listed = await runCli(['admin', 'audit', 'list', '--user-id', 'u1', '--json'], { cwd: dir, env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).events, await events(srv, 'user_id=u1'));

  const table = await runCli(['admin', 'audit', 'list', '--action', 'client_created'], { cwd: dir, env });
  assert.match(table.stdout, /^TIME\s+ACTION\s+ACTOR_ID/);
  assert.match(table.stdout, /client_created\s+admin-api/);

  const bad = await runCli(['admin', 'audit', 'list', '--limit', '5000'], { cwd: dir, env });
  assert.equal(bad.code, 1);
  assert.match(errorLines(bad.stderr)[0] ?? '', /^error: limit: must be an integer from 1 to 1000/);
});
