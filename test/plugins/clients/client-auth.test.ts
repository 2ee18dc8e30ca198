import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { clients } from 'authplane/plugins';
import { TEST_AUDIENCE, TEST_GRANT, testGrant } from '../../fixtures/plugins/test-grant.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { json } from './crud-scenario.js';

const CONFIDENTIAL = {
  client_name: 'Backend',
  redirect_uris: [],
  grant_types: [TEST_GRANT],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'files:read',
};

async function register(srv: TestServer, body: Record<string, unknown> = {}) {
  const response = await srv.admin('/admin/clients', { method: 'POST', body: JSON.stringify({ ...CONFIDENTIAL, ...body }) });
  assert.equal(response.status, 201, await response.clone().text());
  return json(response) as Promise<{ client_id: string; client_secret?: string }>;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basic(id: string, secret: string): Record<string, string> {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return { authorization: `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}` };
}

function token(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: TEST_GRANT, ...form }),
  });
}

async function assertInvalidClient(response: Response): Promise<void> {
  assert.equal(response.status, 401);
  assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  assert.equal((await response.json()).error, 'invalid_client');
}

test('a client secret authenticates at the token endpoint with client_secret_basic', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id, client_secret } = await register(srv);
  const response = await token(srv.url, {}, basic(client_id, client_secret!));
  assert.equal(response.status, 200);
  const body = await response.json();
  const jwks = createLocalJWKSet(await (await fetch(`${srv.url}/.well-known/jwks.json`)).json());
  const { payload } = await jwtVerify(body.access_token, jwks, { audience: TEST_AUDIENCE, typ: 'at+jwt' });
  assert.equal(payload.client_id, client_id);
  assert.equal(payload.scope, 'files:read');

  await assertInvalidClient(await token(srv.url, {}, basic(client_id, `${client_secret}x`)));
  await assertInvalidClient(await token(srv.url, {}, basic('ap_unknown', client_secret!)));
  // The registered method is basic; the same secret in the form body is refused.
  await assertInvalidClient(await token(srv.url, { client_id, client_secret: client_secret! }));
});

test('a client secret authenticates at the token endpoint with client_secret_post', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id, client_secret } = await register(srv, { token_endpoint_auth_method: 'client_secret_post' });
  const ok = await token(srv.url, { client_id, client_secret: client_secret! });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('cache-control'), 'no-store');
  await assertInvalidClient(await token(srv.url, { client_id, client_secret: 'wrong' }));
  await assertInvalidClient(await token(srv.url, {}, basic(client_id, client_secret!)));
  await assertInvalidClient(await token(srv.url, { client_id }));
});

test('a public client authenticates with its client_id alone and never with a secret', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id } = await register(srv, { token_endpoint_auth_method: 'none' });
  assert.equal((await token(srv.url, { client_id })).status, 200);
  await assertInvalidClient(await token(srv.url, { client_id, client_secret: 'anything' }));
  await assertInvalidClient(await token(srv.url, {}, basic(client_id, 'anything')));
});

test('a client may only use the grant types it is registered for', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id, client_secret } = await register(srv, { grant_types: ['client_credentials'] });
  const response = await token(srv.url, {}, basic(client_id, client_secret!));
  assert.equal(response.status, 400);
  assert.equal((await response.json()).error, 'unauthorized_client');
});

test('suspended and revoked clients are refused with invalid_client until reactivated', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id, client_secret } = await register(srv);
  const credentials = basic(client_id, client_secret!);
  await srv.admin(`/admin/clients/${client_id}/suspend`, { method: 'POST' });
  await assertInvalidClient(await token(srv.url, {}, credentials));
  await srv.admin(`/admin/clients/${client_id}/reactivate`, { method: 'POST' });
  assert.equal((await token(srv.url, {}, credentials)).status, 200, 'changes apply to the next request (no stale cache)');
  await srv.admin(`/admin/clients/${client_id}/revoke`, { method: 'POST' });
  await assertInvalidClient(await token(srv.url, {}, credentials));
  const metrics = await (await srv.admin('/metrics')).text();
  assert.match(metrics, /authserver_auth_denied_total\{reason="client_inactive"\} 2/);
});

test('rotating a secret returns a new one and the old one stops working at once', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id, client_secret: oldSecret } = await register(srv);
  const rotated = await srv.admin(`/admin/clients/${client_id}/rotate-secret`, { method: 'POST' });
  assert.equal(rotated.status, 200);
  assert.equal(rotated.headers.get('cache-control'), 'no-store');
  const { client_secret: newSecret } = await json(rotated);
  assert.match(newSecret, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(newSecret, oldSecret);
  await assertInvalidClient(await token(srv.url, {}, basic(client_id, oldSecret!)));
  assert.equal((await token(srv.url, {}, basic(client_id, newSecret))).status, 200);
  const shown = await (await srv.admin(`/admin/clients/${client_id}`)).text();
  assert.ok(!shown.includes(newSecret));
});

test('a deleted client can no longer authenticate', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id, client_secret } = await register(srv);
  await srv.admin(`/admin/clients/${client_id}`, { method: 'DELETE' });
  await assertInvalidClient(await token(srv.url, {}, basic(client_id, client_secret!)));
});

test('successful authentication records last_used_at without delaying the response', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const { client_id, client_secret } = await register(srv);
  const before = Date.now();
  assert.equal((await token(srv.url, {}, basic(client_id, client_secret!))).status, 200);
  assert.equal((await json(await srv.admin(`/admin/clients/${client_id}`))).last_used_at, null, 'written later, in a batch');
  const lastUsed: string = await waitFor(
    'last_used_at to be written by the batch (every second)',
    async () => (await json(await srv.admin(`/admin/clients/${client_id}`))).last_used_at,
    { intervalMs: 100 },
  );
  assert.ok(Date.parse(lastUsed) >= before - 1000, `last_used_at was ${lastUsed}`);
});

test('discovery lists the three authentication methods of the clients plugin', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), testGrant()] });
  const discovery = await (await fetch(`${srv.url}/.well-known/oauth-authorization-server`)).json();
  assert.deepEqual([...discovery.token_endpoint_auth_methods_supported].sort(), ['client_secret_basic', 'client_secret_post', 'none']);
});
