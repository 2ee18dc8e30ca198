/**
 * The client lookup cache (plugins/clients/cache.ts): a change made through this server applies to the very next
 * request; a change made elsewhere (another replica, the CLI on the database) within `cacheTtl` seconds, measured
 * by the server's clock, which the tests move on (test/helpers/clock.ts) rather than sleep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients } from 'authplane/plugins';
import { TEST_GRANT, testGrant } from '../../fixtures/plugins/test-grant.js';
import { testClock } from '../../helpers/clock.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { json } from './crud-scenario.js';

const CONFIDENTIAL = {
  client_name: 'Backend',
  redirect_uris: [],
  grant_types: [TEST_GRANT],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'files:read',
};

async function register(srv: TestServer): Promise<{ client_id: string; client_secret: string }> {
  const response = await srv.admin('/admin/clients', { method: 'POST', body: JSON.stringify(CONFIDENTIAL) });
  assert.equal(response.status, 201, await response.clone().text());
  return json(response) as Promise<{ client_id: string; client_secret: string }>;
}

async function tokenStatus(srv: TestServer, id: string, secret: string): Promise<number> {
  const response = await fetch(`${srv.url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: TEST_GRANT }),
  });
  await response.body?.cancel();
  return response.status;
}

test('a client changed through the admin API is refused or accepted at the very next token request', async (t) => {
  // A long cache lifetime: only the invalidation on write can make these changes visible in time.
  const srv = await startServer(t, { plugins: [clients({ cacheTtl: 300 }), testGrant()] });
  const { client_id, client_secret } = await register(srv);
  assert.equal(await tokenStatus(srv, client_id, client_secret), 200, 'the lookup is now cached');

  assert.equal((await srv.admin(`/admin/clients/${client_id}/suspend`, { method: 'POST' })).status, 200);
  assert.equal(await tokenStatus(srv, client_id, client_secret), 401, 'suspended at once');
  assert.equal((await srv.admin(`/admin/clients/${client_id}/reactivate`, { method: 'POST' })).status, 200);
  assert.equal(await tokenStatus(srv, client_id, client_secret), 200, 'reactivated at once');

  const rotated = (await json(await srv.admin(`/admin/clients/${client_id}/rotate-secret`, { method: 'POST' }))) as { client_secret: string };
  assert.equal(await tokenStatus(srv, client_id, client_secret), 401, 'the old secret stops working at once');
  assert.equal(await tokenStatus(srv, client_id, rotated.client_secret), 200);

  assert.equal((await srv.admin(`/admin/clients/${client_id}`, { method: 'DELETE' })).status, 204);
  assert.equal(await tokenStatus(srv, client_id, rotated.client_secret), 401, 'deleted at once');
});

test('a change written to the database by someone else applies within cacheTtl, and at once with cacheTtl 0', async (t) => {
  const clock = testClock();
  const cached = await startServer(t, { now: clock.now, plugins: [clients({ cacheTtl: 60 }), testGrant()] });
  const a = await register(cached);
  assert.equal(await tokenStatus(cached, a.client_id, a.client_secret), 200);
  // As another replica or `authserver admin client suspend` would: straight to the table.
  await cached.server.db('clients').where({ client_id: a.client_id }).update({ status: 'suspended' });
  assert.equal(await tokenStatus(cached, a.client_id, a.client_secret), 200, 'still the cached client within cacheTtl');
  // Half the lifetime: the rest is the margin for real time passing on a loaded machine.
  clock.advance(30_000);
  assert.equal(await tokenStatus(cached, a.client_id, a.client_secret), 200, 'still cached halfway through cacheTtl');
  clock.advance(31_000);
  assert.equal(await tokenStatus(cached, a.client_id, a.client_secret), 401, 'the row is read again after cacheTtl');

  const uncached = await startServer(t, { plugins: [clients({ cacheTtl: 0 }), testGrant()] });
  const b = await register(uncached);
  assert.equal(await tokenStatus(uncached, b.client_id, b.client_secret), 200);
  await uncached.server.db('clients').where({ client_id: b.client_id }).update({ status: 'suspended' });
  assert.equal(await tokenStatus(uncached, b.client_id, b.client_secret), 401, 'no cache: the next request reads the row');
});
