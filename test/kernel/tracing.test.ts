import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { tracingOtel } from 'authplane/plugins';
import { startServer } from '../helpers/server.js';

test('with tracing on, request log lines carry trace_id and span_id and spans reach the OTLP endpoint', async (t) => {
  const received: { path: string; bytes: number }[] = [];
  const collector = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => {
      received.push({ path: req.url ?? '', bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => collector.close(() => r())));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;

  const { url, logs, server } = await startServer(t, {
    plugins: [tracingOtel()],
    env: { AUTHPLANE_OBSERVABILITY_TRACING_ENABLED: 'true', AUTHPLANE_OBSERVABILITY_TRACING_ENDPOINT: endpoint },
  });
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  assert.equal((await fetch(`${url}/health`, { headers: { traceparent } })).status, 200);
  const line = logs.find((l) => l.msg === 'request' && l.route === '/health');
  assert.ok(line, 'the request was logged');
  assert.equal(line.trace_id, '0af7651916cd43dd8448eb211c80319c', 'the incoming W3C trace context is continued');
  assert.match(String(line.span_id), /^[0-9a-f]{16}$/);

  await server.stop(); // shutting the SDK down flushes the batch of spans
  assert.ok(received.some((r) => r.path === '/v1/traces' && r.bytes > 0), 'spans were exported over OTLP/HTTP');
});

test('with tracing off (the default) request log lines still carry W3C trace and span ids, made by the server', async (t) => {
  const { url, logs } = await startServer(t, { plugins: [tracingOtel()] });
  await fetch(`${url}/livez`);
  const line = logs.find((l) => l.msg === 'request' && l.route === '/livez');
  assert.ok(line);
  assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
  assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
  assert.ok(!logs.some((l) => l.msg === 'tracing enabled'), 'and nothing is exported');
});
