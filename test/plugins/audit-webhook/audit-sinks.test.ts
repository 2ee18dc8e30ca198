/** The log and webhook audit sinks on a real server, next to audit-db, fed by a real admin action. */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { auditLog, auditWebhook, clients } from 'authplane/plugins';
import { startServer } from '../../helpers/server.js';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';

async function receiver(t: TestContext, statuses: number[]) {
  const received: { body: string; signature: string }[] = [];
  let arrived: () => void = () => {};
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const status = statuses[Math.min(received.length, statuses.length - 1)]!;
      received.push({ body, signature: String(req.headers['x-authplane-signature']) });
      res.writeHead(status).end();
      if (status < 300) arrived();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const delivered = new Promise<void>((resolve) => (arrived = resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, delivered };
}

async function createClient(srv: Awaited<ReturnType<typeof startServer>>): Promise<string> {
  const response = await srv.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'Sunk', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', scope: 'a' }),
  });
  assert.equal(response.status, 201);
  return (await response.json()).client_id;
}

test('the webhook sink delivers a signed event after a failed attempt, and counts both attempts', async (t) => {
  const hook = await receiver(t, [503, 200]);
  const srv = await startServer(t, {
    plugins: [clients(), auditWebhook({ url: hook.url, initialBackoffMs: 1 })],
    env: { AUTHPLANE_AUDIT_WEBHOOK_SECRET: SECRET },
  });
  const clientId = await createClient(srv);
  await hook.delivered;
  const last = hook.received.at(-1)!;
  const expected = createHmac('sha256', SECRET).update(last.body).digest();
  assert.ok(timingSafeEqual(Buffer.from(last.signature.replace(/^sha256=/, ''), 'hex'), expected));
  const created = JSON.parse(last.body).events.find((e: { action: string }) => e.action === 'client_created');
  assert.equal(created.client_id, clientId);
  assert.equal(created.actor_id, 'admin-api');
  const metrics = await (await fetch(`${srv.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_audit_webhook_attempts_total\{outcome="retry"\} 1/);
  assert.match(metrics, /authserver_audit_webhook_attempts_total\{outcome="delivered"\} 1/);
  const stored = await (await srv.admin(`/admin/audit?client_id=${clientId}`)).json();
  assert.equal(stored.events[0].action, 'client_created', 'audit-db still stores it: sinks run side by side');
});

test('a refused delivery is logged whole and counted as dropped', async (t) => {
  const hook = await receiver(t, [401]);
  const srv = await startServer(t, {
    plugins: [clients(), auditWebhook({ url: hook.url })],
    env: { AUTHPLANE_AUDIT_WEBHOOK_SECRET: SECRET },
  });
  const clientId = await createClient(srv);
  for (let i = 0; i < 600 && !srv.logs.some((l) => l.msg === 'audit event dropped'); i++) await new Promise((r) => setTimeout(r, 50));
  const drop = srv.logs.find((l) => l.msg === 'audit event dropped') as { reason: string; audit_event: { client_id: string } } | undefined;
  assert.ok(drop, 'the dropped event is in the log');
  assert.equal(drop.reason, 'webhook_rejected');
  assert.equal(drop.audit_event.client_id, clientId);
  const metrics = await (await fetch(`${srv.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_audit_events_dropped_total\{reason="webhook_rejected"\} [1-9]/);
});

test('the webhook sink refuses to start without a signing secret of at least 32 characters', async (t) => {
  for (const env of [{}, { AUTHPLANE_AUDIT_WEBHOOK_SECRET: 'short' }]) {
    await assert.rejects(
      startServer(t, { plugins: [auditWebhook({ url: 'http://127.0.0.1:1/hook' })], env }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'AP_ERR_AUDIT_WEBHOOK_SECRET');
        assert.match(err.message, /AUTHPLANE_AUDIT_WEBHOOK_SECRET/);
        return true;
      },
    );
  }
});

test('the log sink writes each event whole as one log line', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), auditLog()] });
  const clientId = await createClient(srv);
  await srv.server.runtimeApi().audit.flush();
  const line = srv.logs.find((l) => l.msg === 'audit event' && (l.audit_event as { client_id?: string }).client_id === clientId);
  assert.ok(line, 'an "audit event" line for the new client');
  const event = line.audit_event as Record<string, unknown>;
  assert.equal(event.action, 'client_created');
  assert.equal(event.actor_id, 'admin-api');
  assert.equal(event.ip, '127.0.0.1');
  assert.deepEqual((event.detail as { grant_types: string[] }).grant_types, ['client_credentials']);
  assert.match(event.time as string, /^\d{4}-\d{2}-\d{2}T/);
});
