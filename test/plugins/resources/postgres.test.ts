import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resources } from 'authplane/plugins';
import { resourcesProbe } from '../../fixtures/plugins/resources-probe.js';
import { freshPostgresDatabase, requirePostgres } from '../../helpers/postgres.js';
import { startServer } from '../../helpers/server.js';
import { json, mcpResource, patch, startResourceServer } from './setup.js';

test('resource CRUD, conflicts and URI matching work on PostgreSQL', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { admin, url } = await startResourceServer(t, { storage: 'postgres', resources: { seed: [mcpResource({ slug: 'seeded', uri: 'https://seed.example.com/' }) as never] } });

  const created = await admin('/admin/resources', json(mcpResource()));
  assert.equal(created.status, 201);
  const resource = await created.json();
  assert.equal(typeof resource.created_at, 'string');
  assert.equal((await admin('/admin/resources', json(mcpResource({ slug: 'x', uri: 'https://MCP.example.com/mcp/' })))).status, 409);
  assert.equal((await admin('/admin/resources', json(mcpResource({ uri: 'https://y.example.com/' })))).status, 409);

  const list = (await (await admin('/admin/resources')).json()).resources;
  assert.deepEqual(list.map((r: { slug: string }) => r.slug), ['seeded', 'files']);
  const updated = await (await admin(`/admin/resources/${resource.id}`, patch({ scopes: [{ name: 'files:admin' }] }))).json();
  assert.deepEqual(updated.scopes, [{ name: 'files:admin' }]);
  assert.equal((await admin('/admin/probe/resources/resolve?q=https%3A%2F%2Fmcp.example.com%3A443%2Fmcp%2F')).status, 200);
  assert.equal((await fetch(`${url}/.well-known/oauth-protected-resource/mcp`)).status, 200);

  assert.equal((await admin('/admin/resources/files', { method: 'DELETE' })).status, 204);
  assert.equal((await admin('/admin/resources/files')).status, 404);
});

test('replicas on one PostgreSQL database see each other\'s resources on a lookup miss', async (t) => {
  if (!(await requirePostgres(t))) return;
  const env = { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: await freshPostgresDatabase(t) };
  const first = await startServer(t, { plugins: [resources({ refreshInterval: 3600 }), resourcesProbe()], env });
  const second = await startServer(t, { plugins: [resources({ refreshInterval: 3600 }), resourcesProbe()], env });
  const resource = await (await first.admin('/admin/resources', json(mcpResource()))).json();
  assert.equal((await fetch(`${second.url}/.well-known/oauth-protected-resource/mcp`)).status, 200);
  await first.admin('/admin/resources', json(mcpResource({ slug: 'mail', uri: 'https://mail.example.com/mail' })));
  const seen = await second.admin('/admin/probe/resources/resolve?q=files');
  assert.equal(seen.status, 200);
  assert.equal((await seen.json()).id, resource.id);
  assert.equal((await second.admin(`/admin/probe/resources/by-id/${resource.id}`)).status, 200);
  assert.equal((await second.admin('/admin/probe/resources/resolve?q=https%3A%2F%2Fmail.example.com%2Fmail')).status, 200);
});
