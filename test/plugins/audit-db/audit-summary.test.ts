import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { startServer } from '../../helpers/server.js';

const MINUTE = 60_000;

async function summaryScenario(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<void> {
  const srv = await startServer(t, { storage });
  const audit = srv.server.runtimeApi().audit;
  const start = Date.UTC(2025, 0, 31, 12, 0, 0);
  const at = (i: number) => new Date(start + i * 1000);
  for (let i = 0; i < 4; i++) audit.emit({ action: 'token_issued', client_id: 'c1', time: at(i) });
  for (let i = 0; i < 3; i++) audit.emit({ action: 'token_exchange_denied', time: at(i), detail: { reason: 'subject_token_invalid', error: 'invalid_grant' } });
  audit.emit({ action: 'token_exchange_denied', time: at(5), detail: { reason: 'resource_not_allowed', error: 'invalid_target' } });
  // No reason: the OAuth error stands in; neither: null.
  audit.emit({ action: 'jwt_bearer_denied', time: at(6), detail: { error: 'invalid_grant' } });
  audit.emit({ action: 'consent_denied', time: at(7), detail: { scopes: ['a'] } });
  audit.emit({ action: 'user_login_failed', time: at(8), detail: { reason: 'bad_password', provider: 'local' } });
  // Outside the window: not counted.
  audit.emit({ action: 'token_exchange_denied', time: new Date(start - MINUTE), detail: { reason: 'subject_token_invalid' } });
  audit.emit({ action: 'token_issued', time: new Date(start + 10 * MINUTE) });
  await audit.flush();

  const response = await srv.admin(`/admin/audit/summary?since=${new Date(start).toISOString()}&until=${new Date(start + MINUTE).toISOString()}`);
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = (await response.json()) as Record<string, unknown>;
  assert.deepEqual(body, {
    since: '2025-01-31T12:00:00.000Z',
    until: '2025-01-31T12:01:00.000Z',
    actions: [
      { action: 'token_exchange_denied', count: 4 },
      { action: 'token_issued', count: 4 },
      { action: 'consent_denied', count: 1 },
      { action: 'jwt_bearer_denied', count: 1 },
      { action: 'user_login_failed', count: 1 },
    ],
    denials: [
      { action: 'token_exchange_denied', reason: 'subject_token_invalid', count: 3 },
      { action: 'consent_denied', reason: null, count: 1 },
      { action: 'jwt_bearer_denied', reason: 'invalid_grant', count: 1 },
      { action: 'token_exchange_denied', reason: 'resource_not_allowed', count: 1 },
      { action: 'user_login_failed', reason: 'bad_password', count: 1 },
    ],
  });
}

describe('GET /admin/audit/summary', { concurrency: true }, () => {
  test('counts the window by action and its refusals by reason (SQLite)', (t) => summaryScenario(t, 'sqlite'));

  test('counts the window by action and its refusals by reason (PostgreSQL)', async (t) => {
    if (!(await requirePostgres(t))) return;
    await summaryScenario(t, 'postgres');
  });

  test('without since, the last day; bad parameters are RFC 9457 problems naming the parameter; it needs the admin key', async (t) => {
    const srv = await startServer(t);
    const audit = srv.server.runtimeApi().audit;
    audit.emit({ action: 'user_login_failed', time: new Date(Date.now() - 2 * 86_400_000), detail: { reason: 'old' } });
    audit.emit({ action: 'user_login_failed', detail: { reason: 'bad_password' } });
    const recent = (await (await srv.admin('/admin/audit/summary')).json()) as { denials: unknown[] };
    assert.deepEqual(recent.denials, [{ action: 'user_login_failed', reason: 'bad_password', count: 1 }]);

    for (const [query, field] of [
      ['action=token_issued', 'action'],
      ['since=yesterday', 'since'],
      ['since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'since'],
      ['since=2024-01-01T00:00:00Z&until=2025-01-01T00:00:00Z', 'since'],
    ] as const) {
      const refused = await srv.admin(`/admin/audit/summary?${query}`);
      assert.equal(refused.status, 400, query);
      assert.match(refused.headers.get('content-type')!, /application\/problem\+json/);
      const problem = (await refused.json()) as { errors: { field: string }[] };
      assert.equal(problem.errors[0]!.field, field, query);
    }
    const anonymous = await fetch(`${srv.adminUrl}/admin/audit/summary`, { signal: AbortSignal.timeout(30_000) });
    assert.equal(anonymous.status, 401);
  });
});
