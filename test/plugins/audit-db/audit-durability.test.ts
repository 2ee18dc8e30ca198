import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { startServer, type TestServer } from '../../helpers/server.js';

type Storage = 'sqlite' | 'postgres';

/** The longest client id the edge accepts: an https URL of a CIMD client, 512 characters. */
const LONG_CLIENT_ID = `https://client.example.com/${'c'.repeat(512 - 'https://client.example.com/'.length)}`;

async function server(t: TestContext, storage: Storage): Promise<TestServer | undefined> {
  if (storage === 'postgres' && !(await requirePostgres(t))) return undefined;
  return startServer(t, { storage });
}

async function trail(srv: TestServer): Promise<{ action: string; actor_id: string | null; user_id: string | null; client_id: string | null }[]> {
  const response = await srv.admin('/admin/audit?limit=1000');
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()).events;
}

async function droppedMetric(srv: TestServer, reason: string): Promise<number> {
  const text = await (await srv.admin('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`authserver_audit_events_dropped_total{reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

for (const storage of ['sqlite', 'postgres'] as const) {
  test(`an audit event whose actor is a 512-character client id is stored, with the other events of its batch (${storage})`, async (t) => {
    const srv = await server(t, storage);
    if (!srv) return;
    const audit = srv.server.runtimeApi().audit;
    // One turn, so one batch: before the columns fit, the long actor failed the INSERT and took the others with it.
    audit.emit({ action: 'user_login_failed', user_id: 'user-a', detail: { reason: 'invalid_credentials' } });
    audit.emit({ action: 'token_revoked', actor_id: LONG_CLIENT_ID, user_id: LONG_CLIENT_ID, client_id: LONG_CLIENT_ID, detail: { reason: 'client_request' } });
    audit.emit({ action: 'user_login_failed', user_id: 'user-b', detail: { reason: 'invalid_credentials' } });
    const events = await trail(srv);
    assert.deepEqual(
      events.map((e) => [e.action, e.user_id]).sort(),
      [['token_revoked', LONG_CLIENT_ID], ['user_login_failed', 'user-a'], ['user_login_failed', 'user-b']].sort(),
    );
    const revoked = events.find((e) => e.action === 'token_revoked')!;
    assert.equal(revoked.actor_id, LONG_CLIENT_ID);
    assert.equal(revoked.client_id, LONG_CLIENT_ID);
    assert.equal(await droppedMetric(srv, 'rejected'), 0);
    for (const filter of ['user_id', 'client_id']) {
      const response = await srv.admin(`/admin/audit?${filter}=${encodeURIComponent(LONG_CLIENT_ID)}`);
      assert.equal(response.status, 200, `filtering by a 512-character ${filter}: ${await response.clone().text()}`);
      assert.equal((await response.json()).events.length, 1);
    }
  });

  test(`an event the database refuses is dropped alone: the rest of its batch is stored, the drop counted and logged at error level (${storage})`, async (t) => {
    const srv = await server(t, storage);
    if (!srv) return;
    const audit = srv.server.runtimeApi().audit;
    // What each database refuses of a row: PostgreSQL a NUL in text; SQLite (which stores any string) a value its
    // driver cannot bind. Both reach the sink through the same bus a plugin emits on.
    const refused = storage === 'postgres' ? 'bad\u0000client' : ({ not: 'a string' } as unknown as string);
    for (let i = 0; i < 120; i++) audit.emit({ action: 'user_login_failed', user_id: `user-${i}` });
    audit.emit({ action: 'token_revoked', client_id: refused, actor_id: 'someone' });
    // A detail JSON cannot hold is refused before the database, the same way.
    audit.emit({ action: 'client_updated', client_id: 'c1', detail: { big: 1n } as unknown as Record<string, unknown> });
    for (let i = 120; i < 130; i++) audit.emit({ action: 'user_login_failed', user_id: `user-${i}` });
    const events = await trail(srv);
    assert.equal(events.length, 130, 'every valid event of the batch was written');
    assert.deepEqual(new Set(events.map((e) => e.action)), new Set(['user_login_failed']));
    assert.equal(await droppedMetric(srv, 'rejected'), 2);
    const dropped = srv.logs.filter((l) => l.msg === 'audit event dropped');
    assert.equal(dropped.length, 2);
    for (const line of dropped) {
      assert.equal(line.level, 'error');
      assert.equal(line.reason, 'rejected');
      assert.ok(typeof line.error === 'string' && line.error.length > 0, 'the database or driver says why');
    }
    assert.deepEqual(
      dropped.map((l) => (l.audit_event as { action: string }).action).sort(),
      ['client_updated', 'token_revoked'],
      'each dropped event is in the log with its fields',
    );
  });
}

test('when the database cannot be written at all, every event of the batch is counted and logged as unavailable', async (t) => {
  const srv = await startServer(t, {});
  const audit = srv.server.runtimeApi().audit;
  await srv.server.db.schema.renameTable('audit_events', 'audit_events_away');
  audit.emit({ action: 'user_login_failed', user_id: 'user-a' });
  audit.emit({ action: 'user_login_failed', user_id: 'user-b' });
  await audit.flush();
  assert.equal(await droppedMetric(srv, 'unavailable'), 2);
  const dropped = srv.logs.filter((l) => l.msg === 'audit event dropped');
  assert.deepEqual(dropped.map((l) => (l.audit_event as { user_id: string }).user_id).sort(), ['user-a', 'user-b']);
});
