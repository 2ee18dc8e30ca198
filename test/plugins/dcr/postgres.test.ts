import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPurgeTarget } from 'authplane';
import { cimd } from 'authplane/plugins';
import { requirePostgres } from '../../helpers/postgres.js';
import { authorizeUrl } from '../oauth/flow.js';
import { claudeCodeLike, startDocumentHost } from '../cimd/setup.js';
import { dcrServer, PUBLIC_CLIENT } from './setup.js';

test('registration, the stored mode, CIMD clients and the dcr_clients purge work on PostgreSQL', async (t) => {
  if (!(await requirePostgres(t))) return;
  const fx = await dcrServer(t, { storage: 'postgres', extra: [cimd({ allowPrivateAddresses: true })] });
  assert.equal(fx.server.config.storage.driver, 'postgres');
  const registered = await fx.register(PUBLIC_CLIENT);
  const { client_id } = await registered.json();
  assert.equal(registered.status, 201);

  const host = await startDocumentHost(t);
  const metadataUrl = host.serve('/client.json', claudeCodeLike);
  const authorize = await fetch(authorizeUrl(fx, { client_id: metadataUrl, redirect_uri: 'http://127.0.0.1:9999/callback' }), { redirect: 'manual' });
  assert.equal(authorize.status, 302);
  const stored = await (await fx.admin(`/admin/clients/${encodeURIComponent(metadataUrl)}`)).json();
  assert.equal(stored.registration_source, 'cimd');

  for (const mode of ['admin_only', 'open'] as const) {
    const patched = await fx.admin('/admin/settings/dcr', { method: 'PATCH', body: JSON.stringify({ mode }) });
    assert.equal((await patched.json()).mode, mode, 'the upsert of the setting works twice');
  }
  const view = await (await fx.admin('/admin/settings/dcr')).json();
  assert.equal(typeof view.updated_at, 'string');

  await fx.server.db('clients').where({ client_id }).update({ created_at: Date.now() - 40 * 86_400_000 });
  const { deleted } = await runPurgeTarget(fx.server.registries.purgeTargets.get('dcr_clients')!, {
    db: fx.server.db,
    now: new Date(),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(deleted, 1);
  assert.equal((await fx.admin(`/admin/clients/${client_id}`)).status, 404);
  assert.equal((await fx.admin(`/admin/clients/${encodeURIComponent(metadataUrl)}`)).status, 200, 'a CIMD client is not a DCR client');
});
