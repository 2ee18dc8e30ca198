import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { startServer } from '../../helpers/server.js';

const MINUTE = 60_000;
/** More than two export batches (500 rows each), many sharing a millisecond, so batches resume inside a tie. */
const IN_WINDOW = 1_234;

async function exportScenario(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<void> {
  const srv = await startServer(t, { storage });
  const audit = srv.server.runtimeApi().audit;
  const start = Date.UTC(2025, 0, 31, 12, 0, 0);
  // Ten events a millisecond: ties are the rule, not the exception.
  for (let i = 0; i < IN_WINDOW; i++) {
    audit.emit({ action: 'token_issued', client_id: `c${i}`, time: new Date(start + Math.floor(i / 10)), detail: { n: i } });
  }
  audit.emit({ action: 'before_window', time: new Date(start - MINUTE) });
  audit.emit({ action: 'after_window', time: new Date(start + 10 * MINUTE) });
  await audit.flush();

  const since = new Date(start).toISOString();
  const until = new Date(start + MINUTE).toISOString();
  const response = await srv.admin(`/admin/audit/export?since=${since}&until=${until}`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/x-ndjson');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('content-length'), null, 'streamed, not buffered to a known length');
  assert.equal(response.headers.get('transfer-encoding'), 'chunked');
  const text = await response.text();
  assert.ok(text.endsWith('\n'));
  const events = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { id: string; action: string; time: string; detail: { n: number } });
  assert.equal(events.length, IN_WINDOW, 'every event in the window, once');
  assert.deepEqual(
    events.map((e) => e.detail.n).sort((a, b) => a - b),
    Array.from({ length: IN_WINDOW }, (_, i) => i),
    'each event of the window exactly once',
  );
  for (let i = 1; i < events.length; i++) {
    const [a, b] = [events[i - 1]!, events[i]!];
    assert.ok(a.time < b.time || (a.time === b.time && a.id < b.id), `oldest first, ties by id: ${JSON.stringify([a, b])}`);
    assert.equal(b.time, new Date(start + Math.floor(b.detail.n / 10)).toISOString());
  }
  assert.equal(events[0]!.time, since);
  assert.deepEqual(Object.keys(events[0]!).sort(), ['action', 'actor_id', 'client_id', 'detail', 'id', 'ip', 'request_id', 'time', 'trace_id', 'user_id']);

  const all = (await (await srv.admin('/admin/audit/export')).text()).trimEnd().split('\n').map((l) => JSON.parse(l).action as string);
  assert.equal(all[0], 'before_window', 'without since: from the start of the trail');
  assert.ok(all.includes('after_window') && all.length >= IN_WINDOW + 2);

  const empty = await srv.admin(`/admin/audit/export?since=2020-01-01T00:00:00Z&until=2020-01-02T00:00:00Z`);
  assert.equal(empty.status, 200);
  assert.equal(await empty.text(), '', 'an empty window is an empty body');
}

describe('GET /admin/audit/export', { concurrency: true }, () => {
  test('streams every event of the window as NDJSON, oldest first, across batches and ties (SQLite)', (t) => exportScenario(t, 'sqlite'));

  test('streams every event of the window as NDJSON, oldest first, across batches and ties (PostgreSQL)', async (t) => {
    if (!(await requirePostgres(t))) return;
    await exportScenario(t, 'postgres');
  });

  test('bad parameters are RFC 9457 problems naming the parameter; the export needs the admin key', async (t) => {
    const srv = await startServer(t);
    const cases: [string, string, RegExp][] = [
      ['since=yesterday', 'since', /RFC 3339/],
      ['until=2025-02-30T00:00:00Z', 'until', /RFC 3339/],
      ['since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'since', /must not be later than until/],
      ['limit=10', 'limit', /not a known parameter \(use since, until\)/],
      ['since=2025-01-01T00:00:00Z&since=2025-01-02T00:00:00Z', 'since', /given once/],
    ];
    for (const [query, field, detail] of cases) {
      const response = await srv.admin(`/admin/audit/export?${query}`);
      assert.equal(response.status, 400, query);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = await response.json();
      assert.equal(problem.status, 400);
      assert.match(problem.detail, detail, query);
      assert.equal(problem.errors[0].field, field, query);
    }
    const anonymous = await fetch(`${srv.adminUrl}/admin/audit/export`);
    assert.equal(anonymous.status, 401);
  });

  test('a client that stops reading midway does not disturb the server', async (t) => {
    const srv = await startServer(t);
    const audit = srv.server.runtimeApi().audit;
    for (let i = 0; i < 3_000; i++) audit.emit({ action: 'token_issued', detail: { pad: 'x'.repeat(200), n: i } });
    await audit.flush();
    const controller = new AbortController();
    const response = await srv.admin('/admin/audit/export', { signal: controller.signal });
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    assert.ok(value && value.length > 0);
    controller.abort();
    await reader.closed.catch(() => {});
    const again = await srv.admin('/admin/audit/export');
    assert.equal(again.status, 200);
    assert.equal((await again.text()).trimEnd().split('\n').length, 3_000);
  });
});
