import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { definePlugin, readForm } from 'authplane';
import { startServer } from '../helpers/server.js';

const INTERNAL = 'connection string postgres://internal-detail';

/** Routes that fail the way real code fails: a plain Error from deep inside a handler. */
const failingRoutes = definePlugin({
  name: 'failing-routes',
  register(api) {
    api.route('public', 'GET', '/boom', () => {
      throw new Error(INTERNAL);
    });
    api.route('public', 'POST', '/oauth/boom', () => {
      throw new TypeError(INTERNAL);
    });
    // A body that fails as it is serialized, with an error whose own headers node refuses: koa's error writer
    // would throw again, from the turn's batched response writer.
    const unwritable = {
      toJSON() {
        throw Object.assign(new Error(INTERNAL), { headers: { 'X-Broken': 'a\nb' } });
      },
    };
    api.route('public', 'GET', '/unwritable', (ctx) => {
      ctx.body = unwritable;
    });
    api.route('public', 'POST', '/oauth/unwritable', (ctx) => {
      ctx.body = unwritable;
    });
    api.route('public', 'POST', '/form', (ctx) => {
      ctx.body = { keys: Object.keys(readForm(ctx)) };
    });
  },
});

const SESSION_SECRET = 'Vq3nX8pL2sK9dR4tW7yB1cM6hJ5gF0aZ';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('X-Request-ID is echoed when it is safe and generated otherwise', async (t) => {
  const { url, adminUrl, logs } = await startServer(t);
  const echoed = await fetch(`${url}/livez`, { headers: { 'x-request-id': 'trace-abc_123.4:5@6' } });
  assert.equal(echoed.headers.get('x-request-id'), 'trace-abc_123.4:5@6');
  for (const bad of ['has spaces in it', 'a'.repeat(129), 'semi;colon', '<script>']) {
    const response = await fetch(`${url}/livez`, { headers: { 'x-request-id': bad } });
    assert.match(response.headers.get('x-request-id') ?? '', UUID, `replaced: ${bad.slice(0, 20)}`);
  }
  const none = await fetch(`${url}/livez`);
  const generated = none.headers.get('x-request-id')!;
  assert.match(generated, UUID);
  assert.notEqual((await fetch(`${url}/livez`)).headers.get('x-request-id'), generated, 'a new id per request');
  assert.match((await fetch(`${adminUrl}/metrics`)).headers.get('x-request-id') ?? '', UUID, 'on the admin listener too');
  const line = logs.find((l) => l.msg === 'request' && l.request_id === 'trace-abc_123.4:5@6');
  assert.ok(line, 'the access log carries the request id');
  assert.equal(line.route, '/livez');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, 'number');
  assert.equal(line.method, 'GET');
});

test('every response carries the security headers; HSTS only when the issuer is https', async (t) => {
  const http = await startServer(t);
  const https = await startServer(t, {
    env: { AUTHPLANE_SERVER_ISSUER: 'https://auth.example.com', AUTHPLANE_SESSION_SECRET: SESSION_SECRET },
  });
  const targets = [
    `${http.url}/livez`,
    `${http.url}/nope`,
    `${http.url}/.well-known/jwks.json`,
    `${http.adminUrl}/admin/system/status`,
  ];
  for (const target of targets) {
    const response = await fetch(target);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', target);
    assert.equal(response.headers.get('x-frame-options'), 'DENY', target);
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer', target);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/, target);
    assert.match(csp, /frame-ancestors 'none'/, target);
    assert.equal(response.headers.get('strict-transport-security'), null, `${target}: no HSTS over an http issuer`);
  }
  for (const target of [`${https.url}/livez`, `${https.url}/nope`, `${https.adminUrl}/metrics`]) {
    const hsts = (await fetch(target)).headers.get('strict-transport-security') ?? '';
    assert.match(hsts, /max-age=\d{7,}/, target);
  }
});

test('a body over server.bodyLimit is refused with 413, declared or chunked', async (t) => {
  const { url } = await startServer(t, { plugins: [failingRoutes()], config: { server: { bodyLimit: 1024 } } });
  const form = (size: number) => `a=${'x'.repeat(size - 2)}`;
  const ok = await fetch(`${url}/form`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form(1000),
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { keys: ['a'] });

  const declared = await fetch(`${url}/form`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form(4096),
  });
  assert.equal(declared.status, 413);
  assert.match(declared.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal((await declared.json()).status, 413);

  const chunks = [form(800), 'x'.repeat(800)];
  const chunked = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    }),
    duplex: 'half',
  } as RequestInit);
  assert.equal(chunked.status, 413, 'a chunked body without Content-Length is counted as it arrives');
  const body = await chunked.json();
  assert.equal(body.error, 'invalid_request', 'OAuth JSON on an OAuth endpoint');
  assert.match(body.error_description, /1024 bytes/);
});

test('CORS answers preflights and adds headers on /oauth/* and /.well-known/* for allowed origins only', async (t) => {
  const allowed = 'https://app.example.com';
  const { url } = await startServer(t, {
    plugins: [failingRoutes()],
    config: { server: { allowedOrigins: [allowed] } },
  });
  const preflight = (path: string, origin: string) =>
    fetch(`${url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, dpop' },
    });

  const good = await preflight('/oauth/token', allowed);
  assert.equal(good.status, 204);
  assert.equal(good.headers.get('access-control-allow-origin'), allowed);
  assert.match(good.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.equal(
    good.headers.get('access-control-allow-headers'),
    'Authorization, Content-Type, MCP-Protocol-Version, X-Request-ID',
    "the kernel's own request headers; DPoP's come with the dpop plugin",
  );
  assert.equal(good.headers.get('access-control-allow-credentials'), null, 'never with credentials');
  assert.match(good.headers.get('vary') ?? '', /Origin/);

  const stranger = await preflight('/oauth/token', 'https://evil.example');
  assert.equal(stranger.headers.get('access-control-allow-origin'), null);

  const jwks = await fetch(`${url}/.well-known/jwks.json`, { headers: { origin: allowed } });
  assert.equal(jwks.status, 200);
  assert.equal(jwks.headers.get('access-control-allow-origin'), allowed);
  assert.equal(jwks.headers.get('access-control-expose-headers'), 'WWW-Authenticate, Retry-After, X-Request-ID');

  const elsewhere = await fetch(`${url}/livez`, { headers: { origin: allowed } });
  assert.equal(elsewhere.headers.get('access-control-allow-origin'), null, 'no CORS outside the OAuth and well-known paths');
  const elsewherePreflight = await preflight('/form', allowed);
  assert.equal(elsewherePreflight.headers.get('access-control-allow-origin'), null);
});

test('without server.allowedOrigins no origin gets CORS headers', async (t) => {
  const { url } = await startServer(t);
  const response = await fetch(`${url}/.well-known/jwks.json`, { headers: { origin: 'https://app.example.com' } });
  assert.equal(response.headers.get('access-control-allow-origin'), null);
});

test('an unknown route is a 404 problem+json, a wrong method a 405 with Allow', async (t) => {
  const { url, adminUrl } = await startServer(t);
  for (const target of [`${url}/no/such/thing`, `${adminUrl}/no/such/thing`]) {
    const response = await fetch(target);
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = await response.json();
    assert.equal(body.status, 404);
    assert.equal(body.title, 'Not Found');
    assert.equal(typeof body.detail, 'string');
  }
  const wrongMethod = await fetch(`${url}/health`, { method: 'DELETE' });
  assert.equal(wrongMethod.status, 405);
  assert.match(wrongMethod.headers.get('allow') ?? '', /GET/);
});

test('errors under /oauth/ are OAuth JSON with Cache-Control: no-store', async (t) => {
  const { url } = await startServer(t, { plugins: [failingRoutes()] });
  const unknown = await fetch(`${url}/oauth/nothing-here`);
  assert.equal(unknown.status, 404);
  assert.match(unknown.headers.get('content-type') ?? '', /^application\/json/);
  const unknownBody = await unknown.json();
  assert.deepEqual(Object.keys(unknownBody).sort(), ['error', 'error_description']);
  assert.equal(unknown.headers.get('cache-control'), 'no-store');

  const json = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(json.status, 400);
  assert.equal(json.headers.get('cache-control'), 'no-store');
  assert.equal((await json.json()).error, 'invalid_request');
});

test('an unexpected error is a 500 without a stack trace or internal detail, logged with its stack', async (t) => {
  const { url, logs } = await startServer(t, { plugins: [failingRoutes()] });
  const problem = await fetch(`${url}/boom`, { headers: { 'x-request-id': 'boom-1' } });
  assert.equal(problem.status, 500);
  assert.match(problem.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problemText = await problem.text();
  const oauth = await fetch(`${url}/oauth/boom`, { method: 'POST' });
  assert.equal(oauth.status, 500);
  const oauthText = await oauth.text();
  assert.equal(JSON.parse(oauthText).error, 'server_error');
  for (const text of [problemText, oauthText]) {
    assert.ok(!text.includes(INTERNAL), 'no internal message');
    assert.doesNotMatch(text, /\bat .+:\d+:\d+|\.ts\b|Error:/, 'no stack trace');
  }
  const logged = logs.find((l) => l.request_id === 'boom-1' && l.level === 'error') as { err?: { message: string; stack: string } };
  assert.ok(logged?.err, 'the error is logged');
  assert.equal(logged.err.message, INTERNAL, 'the detail goes to the log instead');
  assert.match(logged.err.stack, /\n\s+at /, 'with its stack');
});

test('/livez answers ok without touching the database', async (t) => {
  const { url, server } = await startServer(t);
  await server.db.destroy();
  const response = await fetch(`${url}/livez`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = await response.json();
  assert.equal(body.status, 'ok');
  assert.match(body.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  assert.equal((await fetch(`${url}/health`)).status, 503);
});

test('a response that fails while it is written is a 500 in the endpoint’s error shape, and the server keeps serving', async (t) => {
  const { url, logs } = await startServer(t, { plugins: [failingRoutes()] });
  const problem = await fetch(`${url}/unwritable`, { headers: { 'x-request-id': 'unwritable-1' } });
  assert.equal(problem.status, 500);
  assert.match(problem.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(problem.headers.get('x-request-id'), 'unwritable-1');
  assert.equal(problem.headers.get('x-content-type-options'), 'nosniff');
  const body = (await problem.json()) as Record<string, unknown>;
  assert.equal(body.status, 500);
  assert.ok(!JSON.stringify(body).includes(INTERNAL));
  const oauth = await fetch(`${url}/oauth/unwritable`, { method: 'POST' });
  assert.equal(oauth.status, 500);
  assert.equal(oauth.headers.get('cache-control'), 'no-store');
  assert.equal(((await oauth.json()) as { error: string }).error, 'server_error');
  // Many at once, so some fail inside the turn's batched writer.
  const many = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/unwritable`).then((r) => r.status)));
  assert.deepEqual(new Set(many), new Set([500]));
  assert.equal((await fetch(`${url}/livez`)).status, 200, 'the server is still up');
  const logged = logs.find((l) => l.request_id === 'unwritable-1' && l.level === 'error') as { err?: { message: string } };
  assert.equal(logged?.err?.message, INTERNAL, 'the failure is logged');
});

/** A raw HTTP/1.1 exchange, so node's own refusals (which fetch may not surface) are seen as sent. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

test('request headers over 16 KB are refused with 431 in the same JSON shape as every other refusal', async (t) => {
  const { url, adminUrl } = await startServer(t);
  const big = `X-Big: ${'a'.repeat(20_000)}\r\n`;
  const parse = (text: string) => {
    const [head, body] = text.split('\r\n\r\n');
    return { status: Number(head!.split(' ')[1]), head: head!.toLowerCase(), body: JSON.parse(body!) as Record<string, unknown> };
  };
  const port = (u: string) => Number(new URL(u).port);
  const oauth = parse(await rawExchange(port(url), `POST /oauth/token HTTP/1.1\r\nHost: x\r\n${big}\r\n`));
  assert.equal(oauth.status, 431);
  assert.match(oauth.head, /content-type: application\/json/);
  assert.equal(oauth.body.error, 'invalid_request');
  assert.match(String(oauth.body.error_description), /headers/);
  const problem = parse(await rawExchange(port(url), `GET /health HTTP/1.1\r\nHost: x\r\n${big}\r\n`));
  assert.equal(problem.status, 431);
  assert.match(problem.head, /content-type: application\/problem\+json/);
  assert.equal(problem.body.status, 431);
  assert.equal(problem.body.title, 'Request Header Fields Too Large');
  const admin = parse(await rawExchange(port(adminUrl), `GET /admin/clients HTTP/1.1\r\nHost: x\r\n${big}\r\n`));
  assert.equal(admin.status, 431);
  assert.equal(admin.body.status, 431);
  const garbage = parse(await rawExchange(port(url), 'NOT HTTP AT ALL\r\n\r\n'));
  assert.equal(garbage.status, 400);
  assert.equal(garbage.body.title, 'Bad Request');
  assert.equal((await fetch(`${url}/livez`)).status, 200);
});
