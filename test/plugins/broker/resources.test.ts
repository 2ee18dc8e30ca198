/** Broker resources and their providers: the resources plugin's `broker` backend, served by the broker plugin. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AuthPlane } from 'authplane';
import { broker, clients, keystoreKeyfile, oauth, resources, storageSqlite, users } from 'authplane/plugins';
import { startServer, tempDir } from '../../helpers/server.js';
import { brokerResource, githubProvider, json, patch, startBrokerServer } from './setup.js';

test('a broker resource must name an existing provider, and is stored naming it by slug however it named it', async (t) => {
  const { admin } = await startBrokerServer(t);
  const provider = await (await admin('/admin/broker-providers', json(githubProvider()))).json();

  const missing = await admin('/admin/resources', json(brokerResource({ broker_provider_id: 'gitlab' })));
  assert.equal(missing.status, 400);
  assert.deepEqual((await missing.json()).errors, [
    { field: 'broker_provider_id', message: "names no broker provider ('gitlab'); create it first (POST /admin/broker-providers)" },
  ]);

  const bySlug = await admin('/admin/resources', json(brokerResource()));
  assert.equal(bySlug.status, 201, await bySlug.clone().text());
  assert.equal((await bySlug.json()).broker_provider_id, 'github');
  const byId = await admin('/admin/resources', json(brokerResource({ slug: 'github-mcp-2', uri: 'https://gh2.example.com/mcp', broker_provider_id: provider.id })));
  assert.equal(byId.status, 201, await byId.clone().text());
  assert.equal((await byId.json()).broker_provider_id, 'github', 'an id is stored as the slug');

  const repointed = await admin('/admin/resources/github-mcp', patch({ broker_provider_id: 'gitlab' }));
  assert.equal(repointed.status, 400);
  assert.equal((await repointed.json()).errors[0].field, 'broker_provider_id');
  const renamed = await admin('/admin/resources/github-mcp', patch({ display_name: 'GitHub tools' }));
  assert.equal(renamed.status, 200, 'an update of a broker resource is checked again, and passes');

  // Switching to mint without naming the provider clears it.
  const minted = await (await admin('/admin/resources/github-mcp', patch({ backend_kind: 'mint' }))).json();
  assert.equal(minted.backend_kind, 'mint');
  assert.equal(minted.broker_provider_id, null);
  const back = await admin('/admin/resources/github-mcp', patch({ backend_kind: 'broker', broker_provider_id: provider.id }));
  assert.equal((await back.json()).broker_provider_id, 'github');
});

test('a provider is not deleted while broker resources name it', async (t) => {
  const { admin, server } = await startBrokerServer(t);
  assert.equal((await admin('/admin/broker-providers', json(githubProvider()))).status, 201);
  const resource = await (await admin('/admin/resources', json(brokerResource()))).json();

  const refused = await admin('/admin/broker-providers/github', { method: 'DELETE' });
  assert.equal(refused.status, 409);
  const problem = await refused.json();
  assert.equal(problem.detail, "broker provider 'github' is named by resource 'github-mcp'; change or delete them first");
  assert.deepEqual(problem.resources, [{ id: resource.id, slug: 'github-mcp' }]);
  assert.equal((await admin('/admin/broker-providers/github')).status, 200, 'still there');

  assert.equal((await admin('/admin/resources/github-mcp', { method: 'DELETE' })).status, 204);
  assert.equal((await admin('/admin/broker-providers/github', { method: 'DELETE' })).status, 204);
  await server.runtimeApi().audit.flush();
  assert.equal((await server.db('audit_events').where('action', 'broker_provider_deleted')).length, 1, 'the refused delete is not audited');
});

test('seeds insert providers at boot and never overwrite them, and seeded broker resources may name seeded providers', async (t) => {
  const seeded = githubProvider({}, { authorize_params: { allow_signup: 'false' } });
  const first = await startBrokerServer(t, {
    broker: { providers: [seeded as never] },
    resources: { seed: [brokerResource() as never] },
  });
  const provider = await (await first.admin('/admin/broker-providers/github')).json();
  assert.deepEqual(provider.config.authorize_params, { allow_signup: 'false' });
  assert.equal(provider.config.pkce, true, 'defaults are filled in');
  assert.equal((await (await first.admin('/admin/resources/github-mcp')).json()).broker_provider_id, 'github');
  await first.server.runtimeApi().audit.flush();
  const created = await first.server.db('audit_events').where('action', 'broker_provider_created').first();
  assert.equal(created.actor_id, 'seed');
  assert.ok(first.logs.some((l) => l.msg === 'broker provider seeded' && l.slug === 'github' && l.source === 'broker.providers[0]'));

  assert.equal((await first.admin('/admin/broker-providers/github', patch({ display_name: 'GitHub (ops)' }))).status, 200);
  await first.server.stop();

  const changedSeed = githubProvider({ display_name: 'GitHub from the file' }, { client_id: 'Iv1.changed' });
  const again = await startBrokerServer(t, { dir: first.dir, broker: { providers: [changedSeed as never] }, resources: { seed: [brokerResource() as never] } });
  const kept = await (await again.admin('/admin/broker-providers/github')).json();
  assert.equal(kept.display_name, 'GitHub (ops)', 'the operator edit stays');
  assert.equal(kept.config.client_id, 'Iv1.0123456789abcdef');
  assert.equal((await (await again.admin('/admin/broker-providers')).json()).providers.length, 1);
});

test('an invalid provider seed stops boot naming it, and so does a seeded broker resource naming no provider', async (t) => {
  await assert.rejects(
    startBrokerServer(t, { broker: { providers: [githubProvider({}, { authorize_params: { state: 'x' } }) as never] } }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'AP_ERR_BROKER_SEED_INVALID');
      assert.match(err.message, /broker\.providers\[0\] \(slug 'github'\): config\.authorize_params\.state: is set by the broker itself/);
      return true;
    },
  );
  await assert.rejects(startBrokerServer(t, { resources: { seed: [brokerResource() as never] } }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'AP_ERR_RESOURCES_SEED_INVALID');
    assert.match(err.message, /resources\.seed\[0\] \(slug 'github-mcp'\): broker_provider_id: names no broker provider \('github'\)/);
    return true;
  });
  // Without the broker plugin a seeded broker resource is refused as served by no plugin.
  await assert.rejects(startServer(t, { plugins: [resources({ seed: [brokerResource() as never] })] }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'AP_ERR_RESOURCES_SEED_INVALID');
    assert.match(err.message, /backend_kind: 'broker' resources are served by no enabled plugin/);
    return true;
  });
});

test('allowPrivateAddresses with an issuer that is not localhost stops boot', (t) => {
  const dir = tempDir(t);
  assert.throws(
    () =>
      new AuthPlane(
        {
          server: { issuer: 'https://auth.example.com' },
          storage: { sqlite: { path: `${dir}/db.sqlite` } },
          plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), users(), oauth(), broker({ outbound: { allowPrivateAddresses: true } })],
        },
        // The oauth plugin (which the broker depends on) needs a session secret with a public issuer.
        { env: { AUTHPLANE_ADMIN_API_KEY: randomBytes(24).toString('hex'), AUTHPLANE_SESSION_SECRET: randomBytes(32).toString('hex') } },
      ),
    (err: { code?: string; message?: string }) => err.code === 'AP_ERR_BROKER_PRIVATE_ADDRESSES' && /allowed only with a localhost issuer, not auth\.example\.com/.test(err.message ?? ''),
  );
});
