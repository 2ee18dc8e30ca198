import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { rateLimit } from 'authplane/plugins';
import { startServer } from '../../helpers/server.js';

/** Tiny buckets that barely refill (one token per 100 s), so the outcome never depends on timing. */
const SMALL = {
  AUTHPLANE_RATE_LIMIT_DEFAULT_CAPACITY: '2',
  AUTHPLANE_RATE_LIMIT_DEFAULT_REFILL_PER_SECOND: '0.01',
  AUTHPLANE_RATE_LIMIT_TOKEN_CAPACITY: '3',
  AUTHPLANE_RATE_LIMIT_TOKEN_REFILL_PER_SECOND: '0.01',
  AUTHPLANE_RATE_LIMIT_STRICT_CAPACITY: '1',
  AUTHPLANE_RATE_LIMIT_STRICT_REFILL_PER_SECOND: '0.01',
};

function limitedServer(t: TestContext, env: NodeJS.ProcessEnv = {}, trustedProxies: string[] = []) {
  return startServer(t, { plugins: [rateLimit()], env: { ...SMALL, ...env }, config: { server: { trustedProxies } } });
}

const tokenPost = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: 'grant_type=client_credentials&client_id=nobody',
  });

test('the token endpoint answers 429 slow_down with Retry-After once an address used its burst', async (t) => {
  const fx = await limitedServer(t);
  for (let i = 0; i < 3; i++) assert.equal((await tokenPost(fx.url)).status, 401, 'within the burst the request is handled');
  const limited = await tokenPost(fx.url);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '100', 'one token per 100 s: wait 100 s');
  assert.equal(limited.headers.get('cache-control'), 'no-store');
  const body = await limited.json();
  assert.equal(body.error, 'slow_down');
  assert.match(body.error_description, /retry after 100 s/);
  // The other endpoints of the class share the bucket.
  assert.equal((await fetch(`${fx.url}/oauth/introspect`, { method: 'POST' })).status, 429);
  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_rate_limited_total\{class="token"\} 2/);
});

test('other routes answer 429 problem details; health probes and well-known documents are never limited', async (t) => {
  const fx = await limitedServer(t);
  for (let i = 0; i < 2; i++) assert.equal((await fetch(`${fx.url}/somewhere`)).status, 404);
  const limited = await fetch(`${fx.url}/somewhere`);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('content-type'), 'application/problem+json');
  assert.equal(limited.headers.get('retry-after'), '100');
  const problem = await limited.json();
  assert.equal(problem.status, 429);
  assert.equal(problem.title, 'Too Many Requests');

  for (let i = 0; i < 10; i++) {
    for (const path of ['/health', '/livez', '/.well-known/jwks.json', '/.well-known/oauth-authorization-server']) {
      const response = await fetch(`${fx.url}${path}`);
      assert.notEqual(response.status, 429, path);
      await response.arrayBuffer();
    }
  }
  // Classes have separate buckets: the default class is exhausted, the token class is not.
  assert.equal((await tokenPost(fx.url)).status, 401);
  // The admin listener is never limited.
  for (let i = 0; i < 5; i++) assert.equal((await fx.admin('/admin/clients')).status, 404);
});

test('POST /login is in the strict class, limited before the default class would be', async (t) => {
  const fx = await limitedServer(t);
  const login = () => fetch(`${fx.url}/login`, { method: 'POST', body: new URLSearchParams({ email: 'a@b.c', password: 'x' }) });
  assert.equal((await login()).status, 404, 'no login route on this server, but the request counts');
  const limited = await login();
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('content-type'), 'application/problem+json');
  assert.equal((await fetch(`${fx.url}/login`)).status, 404, 'GET /login draws from the default class');
});

test('a POST to an identity provider\'s callback is in the strict class too, as POST /login is', async (t) => {
  const fx = await limitedServer(t);
  const post = (path: string) => fetch(`${fx.url}${path}`, { method: 'POST', body: new URLSearchParams({ email: 'a@b.c', password: 'x' }) });
  assert.equal((await post('/login/local/callback')).status, 404, 'no login route on this server, but the request counts');
  assert.equal((await post('/login/magic-link/callback')).status, 429, 'one strict bucket for every provider');
  assert.equal((await fetch(`${fx.url}/login/local/callback`)).status, 404, 'a GET callback draws from the default class');
});

test('X-Forwarded-For chooses the bucket only when the connection comes from a trusted proxy', async (t) => {
  const untrusted = await limitedServer(t);
  const statuses = [];
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) {
    statuses.push((await tokenPost(untrusted.url, { 'x-forwarded-for': ip })).status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 429], 'a client cannot escape its bucket by sending the header');

  const proxied = await limitedServer(t, {}, ['loopback']);
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5']) {
    assert.equal((await tokenPost(proxied.url, { 'x-forwarded-for': ip })).status, 401, `${ip} has its own bucket`);
  }
  const same = [];
  for (let i = 0; i < 4; i++) same.push((await tokenPost(proxied.url, { 'x-forwarded-for': '198.51.100.7, 127.0.0.1' })).status);
  assert.deepEqual(same, [401, 401, 401, 429], 'the client address behind the proxy is limited');
  // IPv6 clients are counted per /64: a host cannot rotate through its own prefix.
  const v6 = [];
  for (let i = 1; i <= 4; i++) v6.push((await tokenPost(proxied.url, { 'x-forwarded-for': `2001:db8:0:1::${i}` })).status);
  assert.deepEqual(v6, [401, 401, 401, 429]);
});

test('enabled=false turns the limit off', async (t) => {
  const fx = await limitedServer(t, { AUTHPLANE_RATE_LIMIT_ENABLED: 'false' });
  for (let i = 0; i < 8; i++) assert.equal((await tokenPost(fx.url)).status, 401);
});
