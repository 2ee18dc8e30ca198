import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { definePlugin } from 'authplane';
import { startServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';
import { basicAuth, machineServer } from '../plugins/client-credentials/setup.js';

/**
 * The access-log line is written once the response has gone out, which can be after the client has it: wait for
 * the lines (a fixed pause is outrun by a loaded machine).
 */
function accessLogged(logs: Record<string, unknown>[], ids: string[]): Promise<true> {
  return waitFor(`the access-log lines of ${ids.join(', ')}`, () => ids.every((id) => logs.some((l) => l.request_id === id && l.msg === 'request')), {
    lastSeen: () => logs.slice(-5),
  });
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

/** Routes that log the ways plugin code does: after awaiting, from an audit event, by failing. */
const loggingRoutes = definePlugin({
  name: 'logging-routes',
  register(api) {
    api.route('public', 'GET', '/logs', async (ctx) => {
      await sleep(Number(ctx.query.wait ?? 0));
      // As plugins name the request they log for; the kernel adds its trace and span ids.
      api.log.warn({ request_id: ctx.state.requestId, marker: ctx.query.marker }, 'plugin warning');
      api.log.info({ marker: ctx.query.marker }, 'line naming no request');
      api.runtime().audit.emit({ action: 'test_logged', client_id: 'c1', request_id: ctx.state.requestId as string });
      ctx.body = { ok: true };
    });
    api.route('public', 'GET', '/fails', async () => {
      await Promise.resolve();
      throw new Error('route failed');
    });
  },
});

test('without a tracing exporter every log line naming a request carries its trace_id and span_id: access, audit, error and plugin lines', async (t) => {
  // The kernel's audit line is written at debug.
  const { url, logs, server } = await startServer(t, { plugins: [loggingRoutes()], config: { log: { level: 'debug' } } });
  assert.equal((await fetch(`${url}/logs?marker=a`, { headers: { 'x-request-id': 'scope-1' } })).status, 200);
  assert.equal((await fetch(`${url}/fails`, { headers: { 'x-request-id': 'scope-2' } })).status, 500);
  await server.runtimeApi().audit.flush();
  await accessLogged(logs, ['scope-1', 'scope-2']);

  const ofFirst = logs.filter((l) => l.request_id === 'scope-1');
  const kinds = ofFirst.map((l) => l.msg);
  for (const kind of ['plugin warning', 'audit', 'request']) assert.ok(kinds.includes(kind), `a ${kind} line: ${kinds.join(', ')}`);
  const [first] = ofFirst;
  assert.match(String(first!.trace_id), TRACE_ID);
  assert.match(String(first!.span_id), SPAN_ID);
  for (const line of ofFirst) {
    assert.equal(line.trace_id, first!.trace_id, `${String(line.msg)}: same trace`);
    assert.equal(line.span_id, first!.span_id, `${String(line.msg)}: same span`);
  }
  const audit = ofFirst.find((l) => l.msg === 'audit')!;
  assert.equal(audit.audit, 'test_logged');

  const failed = logs.filter((l) => l.request_id === 'scope-2');
  assert.deepEqual(failed.map((l) => l.msg).sort(), ['request', 'unhandled error']);
  assert.match(String(failed[0]!.trace_id), TRACE_ID);
  assert.equal(failed[0]!.trace_id, failed[1]!.trace_id);
  assert.notEqual(failed[0]!.trace_id, first!.trace_id, 'each request starts its own trace');

  const listening = logs.find((l) => l.msg === 'listening')!;
  assert.equal(listening.request_id, undefined, 'a line outside any request names none');
  assert.equal(listening.trace_id, undefined);
  const anonymous = logs.find((l) => l.msg === 'line naming no request')!;
  assert.equal(anonymous.trace_id, undefined, 'nor does one that does not name its request');
});

test('at info a request writes its access line and no audit line: audit events reach the log through the audit-log sink', async (t) => {
  const { url, logs, server } = await startServer(t, { plugins: [loggingRoutes()] });
  assert.equal((await fetch(`${url}/logs?marker=i`, { headers: { 'x-request-id': 'scope-info' } })).status, 200);
  await server.runtimeApi().audit.flush();
  await accessLogged(logs, ['scope-info']);
  const kinds = logs.filter((l) => l.request_id === 'scope-info').map((l) => l.msg).sort();
  assert.deepEqual(kinds, ['plugin warning', 'request']);
  assert.equal(logs.filter((l) => l.msg === 'audit').length, 0, 'no audit line at info');
});

test('at info a token request writes exactly one line, its access line', async (t) => {
  const fx = await machineServer(t);
  const client = await fx.createMachineClient();
  const response = await fetch(`${fx.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': 'one-line' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(response.status, 200);
  await accessLogged(fx.logs, ['one-line']);
  await fx.server.runtimeApi().audit.flush();
  assert.deepEqual(fx.logs.filter((l) => l.request_id === 'one-line').map((l) => l.msg), ['request']);
});

test('an incoming traceparent is continued without an exporter; an invalid one starts a new trace', async (t) => {
  const { url, logs } = await startServer(t, { plugins: [loggingRoutes()] });
  const parent = 'b7ad6b7169203331';
  await fetch(`${url}/logs`, {
    headers: { 'x-request-id': 'scope-tp', traceparent: `00-0af7651916cd43dd8448eb211c80319c-${parent}-01` },
  });
  await fetch(`${url}/.well-known/jwks.json`, {
    headers: { 'x-request-id': 'scope-static', traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${parent}-00` },
  });
  await fetch(`${url}/logs`, {
    headers: { 'x-request-id': 'scope-bad', traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' },
  });
  await accessLogged(logs, ['scope-tp', 'scope-static', 'scope-bad']);
  const lines = (id: string) => logs.filter((l) => l.request_id === id);
  for (const line of lines('scope-tp')) {
    assert.equal(line.trace_id, '0af7651916cd43dd8448eb211c80319c', `${String(line.msg)}: the caller's trace`);
    assert.match(String(line.span_id), SPAN_ID);
    assert.notEqual(line.span_id, parent, 'a span of its own, child of the caller’s');
  }
  const [document] = lines('scope-static');
  assert.equal(document?.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736', 'documents answered before koa continue it too');
  assert.match(String(document.span_id), SPAN_ID);
  const [bad] = lines('scope-bad');
  assert.match(String(bad?.trace_id), TRACE_ID);
  assert.notEqual(bad!.trace_id, '00000000000000000000000000000000');
});

test('the ids of requests handled at the same time never mix', async (t) => {
  const { url, logs } = await startServer(t, { plugins: [loggingRoutes()] });
  // Answered in the reverse order of arrival, their awaits interleaved.
  await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      fetch(`${url}/logs?marker=m${i}&wait=${(8 - i) * 10}`, { headers: { 'x-request-id': `mix-${i}` } }),
    ),
  );
  await accessLogged(logs, Array.from({ length: 8 }, (_, i) => `mix-${i}`));
  const traces = new Set<unknown>();
  for (let i = 0; i < 8; i++) {
    const ofRequest = logs.filter((l) => l.request_id === `mix-${i}`);
    const warning = ofRequest.find((l) => l.msg === 'plugin warning');
    assert.equal(warning?.marker, `m${i}`, 'the warning names its own request');
    assert.equal(new Set(ofRequest.map((l) => l.trace_id)).size, 1);
    traces.add(ofRequest[0]!.trace_id);
  }
  assert.equal(traces.size, 8);
});

test('token requests answered by one group commit each keep their own ids, on the audit line too', async (t) => {
  const fx = await machineServer(t, { config: { log: { level: 'debug' } } });
  const client = await fx.createMachineClient();
  const ids = Array.from({ length: 6 }, (_, i) => `token-${i}`);
  const statuses = await Promise.all(
    ids.map((id) =>
      fetch(`${fx.url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': id },
        body: 'grant_type=client_credentials',
      }).then((r) => r.status),
    ),
  );
  assert.deepEqual(statuses, ids.map(() => 200));
  await accessLogged(fx.logs, ids);
  await waitFor('the token_issued audit lines', () => ids.every((id) => fx.logs.some((l) => l.request_id === id && l.audit === 'token_issued')));
  for (const id of ids) {
    const access = fx.logs.find((l) => l.request_id === id && l.msg === 'request');
    const audit = fx.logs.find((l) => l.request_id === id && l.audit === 'token_issued');
    assert.ok(access && audit, id);
    assert.match(String(access.trace_id), TRACE_ID);
    assert.equal(audit.trace_id, access.trace_id, `${id}: the audit line is in the request's trace`);
    assert.equal(audit.span_id, access.span_id);
  }
});
