import assert from 'node:assert/strict';
import { test } from 'node:test';
import { json, mcpResource, patch, startResourceServer } from './setup.js';

test('a resource is created, listed, read by id and slug, updated and deleted over the admin API', async (t) => {
  const { admin } = await startResourceServer(t);

  const created = await admin('/admin/resources', json(mcpResource()));
  assert.equal(created.status, 201);
  const resource = await created.json();
  assert.match(resource.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(created.headers.get('location'), `/admin/resources/${resource.id}`);
  assert.equal(resource.slug, 'files');
  assert.equal(resource.uri, 'https://mcp.example.com/mcp');
  assert.equal(resource.backend_kind, 'mint');
  assert.equal(resource.broker_provider_id, null);
  assert.deepEqual(resource.policy, {
    exchange: { allowed_client_ids: [] },
    runtime: { client_ids: [] },
    connect: { allowed_return_urls: [] },
  });
  assert.ok(!Number.isNaN(Date.parse(resource.created_at)));

  const list = await (await admin('/admin/resources')).json();
  assert.deepEqual(list, { resources: [resource], next: null });
  assert.deepEqual(await (await admin(`/admin/resources/${resource.id}`)).json(), resource);
  assert.deepEqual(await (await admin('/admin/resources/files')).json(), resource);

  const updated = await admin('/admin/resources/files', patch({ display_name: 'Files', policy: { exchange: { allowed_client_ids: ['c1'] } } }));
  assert.equal(updated.status, 200);
  const after = await updated.json();
  assert.equal(after.display_name, 'Files');
  assert.deepEqual(after.policy.exchange, { allowed_client_ids: ['c1'] });
  assert.deepEqual(after.policy.runtime, { client_ids: [] });
  assert.deepEqual(after.scopes, resource.scopes, 'fields not in the patch are kept');

  const deleted = await admin(`/admin/resources/${resource.id}`, { method: 'DELETE' });
  assert.equal(deleted.status, 204);
  const gone = await admin(`/admin/resources/${resource.id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.headers.get('content-type'), 'application/problem+json');
  assert.equal((await gone.json()).status, 404);
  assert.equal((await admin('/admin/resources/files', { method: 'DELETE' })).status, 404);
  assert.equal((await admin('/admin/resources/files', patch({ display_name: 'x' }))).status, 404);
});

test('a broker resource needs a provider, a mint resource refuses one, and without a plugin serving broker resources none is stored', async (t) => {
  const { admin } = await startResourceServer(t);
  const noProvider = await admin('/admin/resources', json(mcpResource({ backend_kind: 'broker' })));
  assert.equal(noProvider.status, 400);
  assert.deepEqual((await noProvider.json()).errors, [{ field: 'broker_provider_id', message: 'is required when backend_kind is broker' }]);

  const mintWithProvider = await admin('/admin/resources', json(mcpResource({ broker_provider_id: 'github' })));
  assert.equal(mintWithProvider.status, 400);

  const unserved = { field: 'backend_kind', message: "'broker' resources are served by no enabled plugin (enable the plugin that serves them, e.g. broker)" };
  const broker = await admin('/admin/resources', json(mcpResource({ backend_kind: 'broker', broker_provider_id: 'github' })));
  assert.equal(broker.status, 400);
  assert.deepEqual((await broker.json()).errors, [unserved]);

  assert.equal((await admin('/admin/resources', json(mcpResource()))).status, 201);
  const switched = await admin('/admin/resources/files', patch({ backend_kind: 'broker', broker_provider_id: 'github' }));
  assert.equal(switched.status, 400);
  assert.deepEqual((await switched.json()).errors, [unserved]);
  assert.equal((await (await admin('/admin/resources/files')).json()).backend_kind, 'mint');
});

test('malformed resource bodies are 400 problems naming the field', async (t) => {
  const { admin } = await startResourceServer(t);
  const cases: [Record<string, unknown>, string][] = [
    [mcpResource({ slug: 'Not A Slug' }), 'slug'],
    [mcpResource({ slug: '-leading' }), 'slug'],
    [mcpResource({ uri: undefined }), 'uri'],
    [mcpResource({ uri: 'http://mcp.example.com/mcp' }), 'uri'],
    [mcpResource({ uri: 'https://mcp.example.com/mcp#frag' }), 'uri'],
    [mcpResource({ uri: '/relative/path' }), 'uri'],
    [mcpResource({ backend_kind: 'proxy' }), 'backend_kind'],
    [mcpResource({ scopes: [{ name: 'has space' }] }), 'scopes.0.name'],
    [mcpResource({ scopes: [{ name: 'quote"d' }] }), 'scopes.0.name'],
    [mcpResource({ scopes: [{ name: 'a' }, { name: 'a' }] }), 'scopes.1.name'],
    [mcpResource({ color: 'blue' }), 'color'],
    [mcpResource({ policy: { exchange: { allowed_client_ids: 'c1' } } }), 'policy.exchange.allowed_client_ids'],
  ];
  for (const [body, field] of cases) {
    const response = await admin('/admin/resources', json(body));
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const problem = await response.json();
    assert.ok(
      problem.errors.some((e: { field: string }) => e.field === field),
      `${field} in ${JSON.stringify(problem.errors)}`,
    );
  }
  const notJson = await admin('/admin/resources', { method: 'POST', body: 'slug=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(notJson.status, 415);
  const emptyPatch = await admin('/admin/resources', json(mcpResource()));
  assert.equal(emptyPatch.status, 201);
  assert.equal((await admin('/admin/resources/files', patch({}))).status, 400);
  // A loopback resource may use http (local MCP servers in development).
  assert.equal((await admin('/admin/resources', json(mcpResource({ slug: 'local', uri: 'http://127.0.0.1:3000/mcp' })))).status, 201);
});

test('a duplicate slug or a URI that differs only in case, port or trailing slash is a 409 conflict', async (t) => {
  const { admin } = await startResourceServer(t);
  assert.equal((await admin('/admin/resources', json(mcpResource()))).status, 201);

  const sameSlug = await admin('/admin/resources', json(mcpResource({ uri: 'https://other.example.com/mcp' })));
  assert.equal(sameSlug.status, 409);
  assert.match((await sameSlug.json()).detail, /slug 'files'/);

  for (const uri of ['https://MCP.Example.com/mcp/', 'https://mcp.example.com:443/mcp', 'HTTPS://mcp.example.com/mcp']) {
    const sameUri = await admin('/admin/resources', json(mcpResource({ slug: 'other', uri })));
    assert.equal(sameUri.status, 409, uri);
    assert.match((await sameUri.json()).detail, /files/);
  }
  // The path is case-sensitive: a different path is a different resource.
  assert.equal((await admin('/admin/resources', json(mcpResource({ slug: 'upper', uri: 'https://mcp.example.com/MCP' })))).status, 201);

  const renameOnto = await admin('/admin/resources/upper', patch({ slug: 'files' }));
  assert.equal(renameOnto.status, 409);
  const moveOnto = await admin('/admin/resources/upper', patch({ uri: 'https://mcp.example.com/mcp/' }));
  assert.equal(moveOnto.status, 409);
  // Re-saving its own URI is not a conflict with itself.
  assert.equal((await admin('/admin/resources/files', patch({ uri: 'https://mcp.example.com/mcp/' }))).status, 200);
});

test('resource changes are audited with the admin API as actor', async (t) => {
  const { admin, server } = await startResourceServer(t);
  const resource = await (await admin('/admin/resources', json(mcpResource()))).json();
  await admin('/admin/resources/files', patch({ display_name: 'Files' }));
  await admin('/admin/resources/files', { method: 'DELETE' });
  await server.runtimeApi().audit.flush();
  const events = await server.db('audit_events').whereIn('action', ['resource_created', 'resource_updated', 'resource_deleted']).orderBy('id');
  assert.deepEqual(
    events.map((e) => e.action),
    ['resource_created', 'resource_updated', 'resource_deleted'],
  );
  for (const event of events) {
    assert.equal(event.actor_id, 'admin-api');
    assert.equal(event.ip, '127.0.0.1');
    assert.ok(event.request_id);
    assert.equal(JSON.parse(event.detail).resource_id, resource.id);
  }
  assert.deepEqual(JSON.parse(events[1].detail).changed, ['display_name']);
});
