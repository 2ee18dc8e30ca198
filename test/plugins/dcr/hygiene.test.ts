import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPurgeTarget } from 'authplane';
import { cimd, rateLimit } from 'authplane/plugins';
import { dcrServer, PUBLIC_CLIENT } from './setup.js';

const HOUR_MS = 3_600_000;

test('the dcr_clients purge removes dynamically registered clients unused for dcr.inactiveClientTtl and nothing else', async (t) => {
  const fx = await dcrServer(t, { dcrOptions: { inactiveClientTtl: 3600 } });
  const register = async (name: string) => (await (await fx.register({ ...PUBLIC_CLIENT, client_name: name })).json()).client_id as string;
  const fresh = await register('registered just now');
  const neverUsed = await register('registered long ago, never used');
  const usedRecently = await register('registered long ago, used recently');
  const usedLongAgo = await register('registered long ago, last used long ago');
  const { db } = fx.server;
  const longAgo = Date.now() - 3 * HOUR_MS;
  await db('clients').whereIn('client_id', [neverUsed, usedRecently, usedLongAgo, fx.clientId]).update({ created_at: longAgo });
  await db('clients').where('client_id', usedRecently).update({ last_used_at: Date.now() - 60_000 });
  await db('clients').where('client_id', usedLongAgo).update({ last_used_at: Date.now() - 2 * HOUR_MS });

  const target = fx.server.registries.purgeTargets.get('dcr_clients');
  assert.ok(target, 'the purge target is registered');
  const { deleted } = await runPurgeTarget(target, { db, now: new Date(), signal: AbortSignal.timeout(10_000) });
  assert.equal(deleted, 2);
  const remaining = (await db('clients').select('client_id')).map((r: { client_id: string }) => r.client_id).sort();
  assert.deepEqual(remaining, [fresh, usedRecently, fx.clientId].sort(), 'the admin-created client of the same age stays');
});

test('a registration is audited as client_registered and counted by source', async (t) => {
  const fx = await dcrServer(t);
  const response = await fx.register(PUBLIC_CLIENT, { 'x-request-id': 'reg-1' });
  const { client_id } = await response.json();
  await fx.server.runtimeApi().audit.flush();
  const { events } = await (await fx.admin('/admin/audit?action=client_registered')).json();
  assert.equal(events.length, 1);
  assert.equal(events[0].client_id, client_id);
  assert.equal(events[0].actor_id, 'dcr');
  assert.equal(events[0].ip, '127.0.0.1');
  assert.equal(events[0].detail.registration_source, 'dcr');
  const metrics = await (await fx.admin('/metrics')).text();
  assert.match(metrics, /authserver_clients_registered_total\{source="dcr"\} 1/);
  assert.match(metrics, /authserver_clients_registered_total\{source="admin"\} 1/);
});

test('registrations from one address are rate limited by the rate-limit plugin', async (t) => {
  const fx = await dcrServer(t, { extra: [rateLimit({ strict: { capacity: 3, refillPerSecond: 0.01 } })] });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await fx.register(PUBLIC_CLIENT)).status);
  assert.deepEqual(statuses, [201, 201, 201, 429]);
  const limited = await fx.register(PUBLIC_CLIENT);
  assert.equal((await limited.json()).error, 'slow_down');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
});

test('discovery advertises the registration endpoint, metadata documents and the none auth method together', async (t) => {
  const fx = await dcrServer(t, { extra: [cimd()] });
  const doc = await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(doc.registration_endpoint, `${fx.url}/oauth/register`);
  assert.equal(doc.client_id_metadata_document_supported, true);
  assert.ok(doc.token_endpoint_auth_methods_supported.includes('none'), JSON.stringify(doc.token_endpoint_auth_methods_supported));
});
