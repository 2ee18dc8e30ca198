import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients } from 'authplane/plugins';
import { startServer } from '../../helpers/server.js';
import { json, runCrudScenario, WEB_CLIENT } from './crud-scenario.js';

test('clients are created, read, listed, updated and deleted over the admin API on SQLite', async (t) => {
  const { server } = await runCrudScenario(t, 'sqlite');
  const rows = await server.db('clients').select('secret_digest');
  assert.ok(rows.every((r: { secret_digest: string | null }) => r.secret_digest === null || /^[0-9a-f]{64}$/.test(r.secret_digest)));
});

test('a stored secret is only its SHA-256 digest', async (t) => {
  const { admin, server } = await startServer(t, { plugins: [clients()] });
  const client = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) }));
  const row = await server.db('clients').where({ client_id: client.client_id }).first();
  const { createHash } = await import('node:crypto');
  assert.equal(row.secret_digest, createHash('sha256').update(client.client_secret).digest('hex'));
  assert.ok(!JSON.stringify(row).includes(client.client_secret));
});

test('invalid client bodies are 400 problems naming each bad field', async (t) => {
  const { admin } = await startServer(t, { plugins: [clients()] });
  const create = async (patch: Record<string, unknown>, drop: string[] = []) => {
    const body: Record<string, unknown> = { ...WEB_CLIENT, ...patch };
    for (const field of drop) delete body[field];
    const response = await admin('/admin/clients', { method: 'POST', body: JSON.stringify(body) });
    assert.equal(response.status, 400, JSON.stringify(patch));
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const problem = await json(response);
    assert.equal(problem.status, 400);
    return problem.errors.map((e: { field: string }) => e.field) as string[];
  };
  assert.deepEqual(await create({}, ['client_name']), ['client_name']);
  assert.deepEqual(await create({ client_name: '   ' }), ['client_name']);
  assert.deepEqual(await create({ redirect_uris: ['https://a.example.com/cb#frag'] }), ['redirect_uris.0']);
  assert.deepEqual(await create({ redirect_uris: ['/relative/callback'] }), ['redirect_uris.0']);
  assert.deepEqual(await create({ redirect_uris: ['http://notes.example.com/cb'] }), ['redirect_uris.0'], 'http only on loopback');
  assert.deepEqual(await create({ redirect_uris: ['https://ok.example.com/cb', 'javascript:alert(1)'] }), ['redirect_uris.1']);
  assert.deepEqual(await create({ redirect_uris: ['com.example.app:/cb'] }), ['redirect_uris.0'], 'private-use schemes need native');
  // User information on a loopback host, even empty (URL parsing drops `@` alone): refused on create and on update.
  for (const uri of ['http://evil@127.0.0.1/cb', 'http://@127.0.0.1/cb', 'http:@localhost/cb']) {
    assert.deepEqual(await create({ redirect_uris: [uri] }), ['redirect_uris.0'], uri);
  }
  const client = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) }));
  const patched = await admin(`/admin/clients/${client.client_id}`, { method: 'PATCH', body: JSON.stringify({ redirect_uris: ['http://@127.0.0.1/cb'] }) });
  assert.equal(patched.status, 400);
  assert.match((await json(patched)).detail, /redirect_uris\.0: must not contain user information/);
  assert.deepEqual(await create({ redirect_uris: [] }), ['redirect_uris'], 'authorization_code needs a redirect URI');
  assert.deepEqual(await create({ grant_types: ['password'] }), ['grant_types.0']);
  assert.deepEqual(await create({ grant_types: [] }), ['grant_types']);
  assert.deepEqual(await create({ response_types: ['token'] }), ['response_types.0']);
  assert.deepEqual(await create({ grant_types: ['client_credentials'], response_types: ['code'] }), ['response_types']);
  assert.deepEqual(await create({ token_endpoint_auth_method: 'tls_client_auth' }), ['token_endpoint_auth_method']);
  assert.deepEqual(
    await create({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'none' }),
    ['token_endpoint_auth_method'],
    'client_credentials is for confidential clients',
  );
  assert.deepEqual(await create({ scope: 'notes"read' }), ['scope']);
  assert.deepEqual(await create({}, ['scope']), ['scope']);
  assert.deepEqual(await create({ application_type: 'desktop' }), ['application_type']);
  assert.deepEqual(await create({ secret_digest: 'ab' }), ['secret_digest'], 'unknown fields are refused');

  const notJson = await admin('/admin/clients', { method: 'POST', body: 'nope', headers: { 'content-type': 'text/plain' } });
  assert.equal(notJson.status, 415);
  const emptyPatch = await admin('/admin/clients/ap_unknown', { method: 'PATCH', body: '{}' });
  assert.equal(emptyPatch.status, 400);
});

test('native and loopback redirect URIs are accepted as RFC 8252 describes', async (t) => {
  const { admin } = await startServer(t, { plugins: [clients()] });
  const response = await admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({
      client_name: 'Cursor-like',
      redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback', 'https://app.example.com/cb', 'http://[::1]:3000/cb', 'http://localhost/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      scope: 'a  b a',
      application_type: 'native',
    }),
  });
  assert.equal(response.status, 201);
  assert.equal((await json(response)).scope, 'a b', 'scope is normalized');
});

test('client status follows its state machine and refuses invalid transitions with 409', async (t) => {
  const { admin } = await startServer(t, { plugins: [clients()] });
  const { client_id } = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) }));
  const step = async (transition: string, expected: number) => {
    const response = await admin(`/admin/clients/${client_id}/${transition}`, { method: 'POST' });
    assert.equal(response.status, expected, transition);
    return json(response);
  };
  assert.match((await step('reactivate', 409)).detail, /active/);
  assert.equal((await step('suspend', 200)).status, 'suspended');
  await step('suspend', 409);
  assert.equal((await step('reactivate', 200)).status, 'active');
  assert.equal((await step('suspend', 200)).status, 'suspended');
  assert.equal((await step('revoke', 200)).status, 'revoked');
  for (const transition of ['suspend', 'reactivate', 'revoke']) await step(transition, 409);
  const patch = await admin(`/admin/clients/${client_id}`, { method: 'PATCH', body: JSON.stringify({ client_name: 'x' }) });
  assert.equal(patch.status, 409, 'a revoked client cannot be edited');
  assert.equal((await admin(`/admin/clients/${client_id}/rotate-secret`, { method: 'POST' })).status, 409);
  assert.equal((await admin('/admin/clients/ap_missing/suspend', { method: 'POST' })).status, 404);
  const direct = await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) });
  const other = await json(direct);
  const revoked = await admin(`/admin/clients/${other.client_id}/revoke`, { method: 'POST' });
  assert.equal((await json(revoked)).status, 'revoked', 'active → revoked directly');
});

test('rotating a public client\'s secret is a 409 problem', async (t) => {
  const { admin } = await startServer(t, { plugins: [clients()] });
  const body = { ...WEB_CLIENT, token_endpoint_auth_method: 'none' };
  const { client_id } = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(body) }));
  const response = await admin(`/admin/clients/${client_id}/rotate-secret`, { method: 'POST' });
  assert.equal(response.status, 409);
  assert.match((await json(response)).detail, /public client/);
});

test('switching a public client to client_secret_post issues a secret once; switching back drops it', async (t) => {
  const { admin, server } = await startServer(t, { plugins: [clients()] });
  const body = { ...WEB_CLIENT, token_endpoint_auth_method: 'none' };
  const { client_id } = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(body) }));
  const toPost = await json(
    await admin(`/admin/clients/${client_id}`, { method: 'PATCH', body: JSON.stringify({ token_endpoint_auth_method: 'client_secret_post' }) }),
  );
  assert.match(toPost.client_secret, /^[A-Za-z0-9_-]{43}$/);
  const toBasic = await json(
    await admin(`/admin/clients/${client_id}`, { method: 'PATCH', body: JSON.stringify({ token_endpoint_auth_method: 'client_secret_basic' }) }),
  );
  assert.equal('client_secret' in toBasic, false, 'basic ↔ post keeps the secret');
  await admin(`/admin/clients/${client_id}`, { method: 'PATCH', body: JSON.stringify({ token_endpoint_auth_method: 'none' }) });
  const row = await server.db('clients').where({ client_id }).first();
  assert.equal(row.secret_digest, null);
});

test('changing grants derives response_types again unless they are given', async (t) => {
  const { admin } = await startServer(t, { plugins: [clients()] });
  const { client_id } = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) }));
  const patched = await json(
    await admin(`/admin/clients/${client_id}`, { method: 'PATCH', body: JSON.stringify({ grant_types: ['client_credentials'] }) }),
  );
  assert.deepEqual(patched.response_types, []);
  const bad = await admin(`/admin/clients/${client_id}`, { method: 'PATCH', body: JSON.stringify({ response_types: ['code'] }) });
  assert.equal(bad.status, 400);
  assert.deepEqual((await json(bad)).errors.map((e: { field: string }) => e.field), ['response_types']);
});

test('the client list refuses unknown or malformed filters', async (t) => {
  const { admin } = await startServer(t, { plugins: [clients()] });
  for (const query of ['status=gone', 'source=BAD%20SOURCE', 'colour=red', 'status=active&status=revoked']) {
    const response = await admin(`/admin/clients?${query}`);
    assert.equal(response.status, 400, query);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
  }
  assert.deepEqual(await json(await admin('/admin/clients?source=dcr')), { clients: [], next: null });
});

test('the admin API for clients requires the admin key', async (t) => {
  const { adminUrl } = await startServer(t, { plugins: [clients()] });
  const response = await fetch(`${adminUrl}/admin/clients`);
  assert.equal(response.status, 401);
});

test('creating a client counts it in authserver_clients_registered_total by source', async (t) => {
  const { admin } = await startServer(t, { plugins: [clients()] });
  await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) });
  await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) });
  const metrics = await (await admin('/metrics')).text();
  assert.match(metrics, /authserver_clients_registered_total\{source="admin"\} 2/);
});

test('every admin change to a client is audited with the admin-api actor', async (t) => {
  const { admin, server } = await startServer(t, { plugins: [clients()] });
  const { client_id } = await json(await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) }));
  await admin(`/admin/clients/${client_id}`, { method: 'PATCH', body: JSON.stringify({ scope: 'notes:read' }) });
  for (const step of ['rotate-secret', 'suspend', 'reactivate', 'revoke']) {
    await admin(`/admin/clients/${client_id}/${step}`, { method: 'POST' });
  }
  await admin(`/admin/clients/${client_id}`, { method: 'DELETE' });
  await server.runtimeApi().audit.flush();
  const { events } = await json(await admin(`/admin/audit?client_id=${client_id}`));
  // Sorted: two requests can fall in the same millisecond, and events of one millisecond have no defined order.
  assert.deepEqual(events.map((e: { action: string }) => e.action).sort(), [
    'client_created',
    'client_deleted',
    'client_reactivated',
    'client_revoked',
    'client_secret_rotated',
    'client_suspended',
    'client_updated',
  ]);
  assert.ok(events.every((e: { actor_id: string; ip: string }) => e.actor_id === 'admin-api' && e.ip === '127.0.0.1'));
  const updated = events.find((e: { action: string }) => e.action === 'client_updated');
  assert.deepEqual(updated.detail, { changed: ['scope'] });
  const revoked = events.find((e: { action: string }) => e.action === 'client_revoked');
  assert.deepEqual(revoked.detail, { from: 'active', to: 'revoked' });
  assert.ok(!JSON.stringify(events).includes('secret_digest'));
});
