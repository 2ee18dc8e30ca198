/**
 * The client CRUD walk-through over the admin API, shared by the SQLite and PostgreSQL tests so both databases
 * prove the same behaviour.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { clients } from 'authplane/plugins';
import { startServer, type TestServer } from '../../helpers/server.js';

export const WEB_CLIENT = {
  client_name: 'Notes MCP',
  redirect_uris: ['https://notes.example.com/callback', 'http://127.0.0.1/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'notes:read notes:write',
};

export async function json(response: Response): Promise<any> {
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

export async function runCrudScenario(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<TestServer> {
  const srv = await startServer(t, { plugins: [clients()], storage });
  const { admin } = srv;

  const created = await admin('/admin/clients', { method: 'POST', body: JSON.stringify(WEB_CLIENT) });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('cache-control'), 'no-store');
  const client = await json(created);
  assert.match(client.client_id, /^ap_[A-Za-z0-9_-]{22}$/);
  assert.equal(client.id, client.client_id);
  assert.equal(created.headers.get('location'), `/admin/clients/${client.client_id}`);
  assert.match(client.client_secret, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  assert.deepEqual(client.response_types, ['code'], 'response_types follow authorization_code');
  assert.equal(client.status, 'active');
  assert.equal(client.registration_source, 'admin');
  assert.equal(client.application_type, 'web');
  assert.equal(client.agent, false);
  assert.equal(client.last_used_at, null);
  assert.ok(!Number.isNaN(Date.parse(client.created_at)));
  assert.equal('secret_digest' in client, false);

  const fetched = await admin(`/admin/clients/${client.client_id}`);
  assert.equal(fetched.status, 200);
  const fetchedText = await fetched.text();
  assert.ok(!fetchedText.includes(client.client_secret), 'the secret is shown only once');
  const { client_secret: _secret, ...withoutSecret } = client;
  assert.deepEqual(JSON.parse(fetchedText), withoutSecret);

  const publicClient = await json(
    await admin('/admin/clients', {
      method: 'POST',
      body: JSON.stringify({
        client_name: 'Desktop agent',
        redirect_uris: ['com.example.agent:/oauth/callback'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'none',
        scope: '',
        application_type: 'native',
        agent: true,
        agent_description: 'Summarises notes',
      }),
    }),
  );
  assert.equal('client_secret' in publicClient, false, 'public clients get no secret');
  assert.equal(publicClient.agent, true);
  assert.equal(publicClient.agent_description, 'Summarises notes');

  const listed = await json(await admin('/admin/clients'));
  assert.deepEqual(listed.clients.map((c: { client_id: string }) => c.client_id).sort(), [client.client_id, publicClient.client_id].sort());
  assert.ok(listed.clients.every((c: object) => !('client_secret' in c) && !('secret_digest' in c)));

  const patched = await admin(`/admin/clients/${client.client_id}`, {
    method: 'PATCH',
    body: JSON.stringify({ client_name: 'Notes MCP (prod)', scope: 'notes:read' }),
  });
  assert.equal(patched.status, 200);
  const updated = await json(patched);
  assert.equal(updated.client_name, 'Notes MCP (prod)');
  assert.equal(updated.scope, 'notes:read');
  assert.deepEqual(updated.redirect_uris, WEB_CLIENT.redirect_uris, 'fields not sent are kept');
  assert.equal('client_secret' in updated, false);

  const suspended = await json(await admin(`/admin/clients/${client.client_id}/suspend`, { method: 'POST' }));
  assert.equal(suspended.status, 'suspended');
  assert.equal((await json(await admin('/admin/clients?status=suspended'))).clients.length, 1);
  assert.equal((await json(await admin('/admin/clients?status=active'))).clients[0].client_id, publicClient.client_id);

  const deleted = await admin(`/admin/clients/${client.client_id}`, { method: 'DELETE' });
  assert.equal(deleted.status, 204);
  const gone = await admin(`/admin/clients/${client.client_id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.headers.get('content-type'), 'application/problem+json');
  assert.equal((await json(await admin(`/admin/clients/${client.client_id}`, { method: 'DELETE' }))).status, 404);
  return srv;
}
