import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { definePlugin, outboundRequest } from 'authplane';
import { tracingOtel } from 'authplane/plugins';
import { startServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { machineServer, requestMachineToken } from '../client-credentials/setup.js';
import { startCollector, type ExportedSpan } from './collector.js';

const tracingEnv = (endpoint: string) => ({
  AUTHPLANE_OBSERVABILITY_TRACING_ENABLED: 'true',
  AUTHPLANE_OBSERVABILITY_TRACING_ENDPOINT: endpoint,
  AUTHPLANE_OBSERVABILITY_TRACING_SERVICE_NAME: 'authplane-test',
});

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

test('an OTLP collector on loopback gets the spans of one token request, linked parent to child under the caller\'s trace', async (t) => {
  const collector = await startCollector(t);
  const fx = await machineServer(t, { env: tracingEnv(collector.endpoint), extra: [tracingOtel()] });
  const client = await fx.createMachineClient();

  const response = await requestMachineToken(fx.url, client, {}).then(async (r) => r);
  assert.equal(response.status, 200);
  // The token request proper, sent with the caller's W3C trace context.
  const traced = await fetch(`${fx.url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
    },
    body: 'grant_type=client_credentials',
  });
  assert.equal(traced.status, 200, await traced.clone().text());
  await fx.server.stop(); // the SDK's shutdown exports what is queued

  const spans = collector.spans.filter((s) => s.traceId === CALLER_TRACE);
  const byName = (name: string): ExportedSpan => {
    const found = spans.filter((s) => s.name === name);
    assert.equal(found.length, 1, `one '${name}' span in the request's trace; got ${JSON.stringify(spans.map((s) => s.name))}`);
    return found[0]!;
  };
  const server = byName('POST /oauth/token');
  assert.equal(server.parentSpanId, CALLER_SPAN, 'the server span continues the caller\'s traceparent');
  assert.equal(server.kind, 2, 'a server span');
  assert.equal(server.attributes['http.route'], '/oauth/token');
  assert.equal(server.attributes['http.response.status_code'], 200);
  assert.equal(server.serviceName, 'authplane-test');

  const issue = byName('token.issue');
  assert.equal(issue.parentSpanId, server.spanId, 'token issuance runs under the request');
  assert.equal(issue.attributes['authplane.grant_type'], 'client_credentials');
  assert.equal(issue.attributes['authplane.client_id'], client.client_id);

  const commit = byName('INSERT token_issuances');
  assert.equal(commit.parentSpanId, issue.spanId, 'the issuance row\'s commit runs under the issuance');
  assert.equal(commit.kind, 3, 'a client span (the database)');

  // Every other span of the trace (knex statements: the client's lookup, …) hangs off one of these.
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) {
    if (span === server) continue;
    assert.ok(ids.has(span.parentSpanId), `span '${span.name}' has a parent in the trace (${span.parentSpanId})`);
  }
  // And the log line of that request names the same trace and the server span.
  const line = fx.logs.find((l) => l.msg === 'request' && l.trace_id === CALLER_TRACE);
  assert.equal(line?.span_id, server.spanId);
  // No span is named by a raw path.
  assert.ok(collector.spans.every((s) => !s.name.includes('/admin/clients/')), JSON.stringify(collector.spans.map((s) => s.name)));
});

test('a collector that refuses spans costs a warning line and a dropped-spans count, and no request fails', async (t) => {
  const collector = await startCollector(t, 500);
  const fx = await machineServer(t, { env: tracingEnv(collector.endpoint), extra: [tracingOtel()] });
  const client = await fx.createMachineClient();
  for (let i = 0; i < 5; i++) assert.equal((await requestMachineToken(fx.url, client)).status, 200);

  const warning = await waitFor('the span export warning', () => fx.logs.find((l) => l.msg === 'span export failed: spans dropped'), {
    lastSeen: () => fx.logs.slice(-5),
  });
  assert.equal(warning.level, 'warn');
  assert.equal(warning.reason, 'export_failed');
  assert.ok(Number(warning.dropped) > 0);
  const metrics = await (await fx.admin('/metrics')).text();
  const dropped = /^authserver_tracing_spans_dropped_total\{reason="export_failed"\} (\d+)/m.exec(metrics);
  assert.ok(dropped && Number(dropped[1]) > 0, `dropped spans counted:\n${metrics.split('\n').filter((l) => l.includes('tracing')).join('\n')}`);
  assert.ok(collector.requests > 0);
  await fx.server.stop();
});

test('a collector that never answers does not hold up requests: they complete while the export hangs', async (t) => {
  const collector = await startCollector(t, 'hang');
  const fx = await machineServer(t, { env: tracingEnv(collector.endpoint), extra: [tracingOtel()] });
  const client = await fx.createMachineClient();
  // The first export is on its way and held open by the collector.
  await requestMachineToken(fx.url, client);
  await waitFor('an export request held by the collector', () => collector.held.length > 0, { lastSeen: () => ({ requests: collector.requests, logs: fx.logs.filter((l) => l.plugin === 'tracing-otel' || String(l.msg).includes('trac')) }) });
  const statuses = await Promise.all(Array.from({ length: 40 }, () => requestMachineToken(fx.url, client).then((r) => r.status)));
  assert.deepEqual(new Set(statuses), new Set([200]));
  assert.equal(collector.held.length, 1, 'one export in flight at a time: the rest wait in the bounded queue, not on the wire');
  // Let the exporter's retry through, so the server's shutdown flush does not wait out the export timeout.
  collector.answer = 'accept';
  for (const res of collector.held.splice(0)) res.destroy();
  await fx.server.stop();
});

test('an outbound fetch made while handling a traced request is a client span and carries the trace to the service called', async (t) => {
  const collector = await startCollector(t);
  const upstream = createServer((req, res) => {
    received.push(req.headers.traceparent);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  const received: (string | string[] | undefined)[] = [];
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => upstream.close(() => r())));
  const upstreamUrl = new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/metadata`);
  const fetcher = definePlugin({
    name: 'outbound-fetcher',
    register(api) {
      api.route('public', 'GET', '/fetch-upstream', async (ctx) => {
        const answer = await outboundRequest({ url: upstreamUrl, timeoutMs: 30_000, maxResponseBytes: 1024, allowPrivateAddresses: true });
        ctx.body = { status: answer.status };
      });
    },
  });
  const fx = await startServer(t, { env: tracingEnv(collector.endpoint), plugins: [tracingOtel(), fetcher()] });
  const response = await fetch(`${fx.url}/fetch-upstream`, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } });
  assert.deepEqual(await response.json(), { status: 200 });
  await fx.server.stop();

  const spans = collector.spans.filter((s) => s.traceId === CALLER_TRACE);
  const server = spans.find((s) => s.name === 'GET /fetch-upstream');
  const client = spans.find((s) => s.name === `GET ${upstreamUrl.host}`);
  assert.ok(server && client, JSON.stringify(spans.map((s) => s.name)));
  assert.equal(client.kind, 3, 'a client span');
  assert.equal(client.parentSpanId, server.spanId);
  assert.equal(client.attributes['http.response.status_code'], 200);
  assert.equal(received.length, 1);
  assert.equal(received[0], `00-${CALLER_TRACE}-${client.spanId}-01`, 'the upstream sees this trace, with the client span as its parent');
});

test('without tracing an outbound fetch carries no traceparent', async (t) => {
  const upstream = createServer((req, res) => {
    received.push(req.headers.traceparent);
    res.end('ok');
  });
  const received: (string | string[] | undefined)[] = [];
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => upstream.close(() => r())));
  const url = new URL(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`);
  await outboundRequest({ url, timeoutMs: 30_000, maxResponseBytes: 1024, allowPrivateAddresses: true });
  assert.deepEqual(received, [undefined]);
});
