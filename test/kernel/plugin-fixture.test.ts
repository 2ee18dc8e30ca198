import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { runPurgeTarget } from 'authplane';
import { helloPlugin, HELLO_GRANT } from '../fixtures/plugins/hello-plugin.js';
import { startServer } from '../helpers/server.js';

const SECRET = 'fixture-client-secret-0123456789';

async function helloToken(url: string, name = 'alice') {
  return fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`hello-client:${SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: HELLO_GRANT, name }),
  });
}

test('a user plugin adds a route, a discovery field, a purge target and a grant', async (t) => {
  const { url, server, admin } = await startServer(t, {
    plugins: [helloPlugin({ greeting: 'bonjour' })],
    env: { AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: SECRET },
  });
  const hello = await fetch(`${url}/hello`);
  assert.equal(hello.status, 200);
  assert.deepEqual(await hello.json(), { greeting: 'bonjour' });

  const discovery = await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(discovery.hello_supported, true);
  assert.deepEqual(discovery.grant_types_supported, [HELLO_GRANT]);
  assert.equal(discovery.token_endpoint, 'http://localhost:9000/oauth/token');

  assert.equal((await admin('/admin/hello/rows', { method: 'POST' })).status, 201);
  assert.ok(server.registries.purgeTargets.has('hello_rows'));
  const { deleted } = await runPurgeTarget(server.registries.purgeTargets.get('hello_rows')!, {
    db: server.db,
    now: new Date(),
    signal: new AbortController().signal,
  });
  assert.equal(deleted, 2);

  const response = await helloToken(url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = await response.json();
  const jwks = createLocalJWKSet(await (await fetch(`${url}/.well-known/jwks.json`)).json());
  const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
    issuer: 'http://localhost:9000',
    audience: 'https://mcp.example.com/mcp',
    typ: 'at+jwt',
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, 'alice');
  assert.equal(payload.client_id, 'hello-client');
  assert.equal(payload.greeting, 'bonjour', 'the accessTokenClaims tap ran');
});

test('the token endpoint refuses bad clients, missing parameters and unknown grants with OAuth errors', async (t) => {
  const { url } = await startServer(t, {
    plugins: [helloPlugin()],
    env: { AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: SECRET },
  });
  const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body),
    });
  const basic = (secret: string) => ({ authorization: `Basic ${Buffer.from(`hello-client:${secret}`).toString('base64')}` });

  const wrong = await post({ grant_type: HELLO_GRANT, name: 'a' }, basic('wrong'));
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic/);
  assert.equal((await wrong.json()).error, 'invalid_client');

  const missing = await post({ grant_type: HELLO_GRANT }, basic(SECRET));
  assert.equal(missing.status, 400);
  assert.deepEqual(await missing.json(), { error: 'invalid_request', error_description: 'name is required' });

  const unknown = await post({ grant_type: 'password', username: 'x' }, basic(SECRET));
  assert.equal((await unknown.json()).error, 'unsupported_grant_type');

  const denied = await post({ grant_type: HELLO_GRANT, name: 'nobody' }, basic(SECRET));
  assert.equal(denied.status, 400);
  assert.equal((await denied.json()).error, 'invalid_grant');

  const json = await fetch(`${url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(json.status, 400);
  assert.equal((await json.json()).error, 'invalid_request');

  const twice = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(SECRET) },
    body: `grant_type=${encodeURIComponent(HELLO_GRANT)}&name=a&name=b`,
  });
  assert.match((await twice.json()).error_description, /more than once/);
});
