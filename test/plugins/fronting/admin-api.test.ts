import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { createResources, gatewayToFiles, json, startFrontingServer, STORAGES } from './setup.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Links made within one millisecond have no fixed order (a UUIDv7 is random below the millisecond): compare by id.
const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => a.id.localeCompare(b.id));
const linkIds = (rows: { id: string }[]) => byId(rows).map((r) => r.id);

for (const storage of STORAGES) {
  test(`a fronting link is created, listed, filtered, read, found by the service and deleted (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const { admin } = await startFrontingServer(t, storage);
    const ids = await createResources(admin);

    const created = await admin('/admin/fronting', json(gatewayToFiles({ target: ids.files })));
    assert.equal(created.status, 201);
    const link = await created.json();
    assert.match(link.id, UUID_V7);
    assert.equal(created.headers.get('location'), `/admin/fronting/${link.id}`);
    assert.deepEqual({ ...link, created_at: undefined }, {
      id: link.id,
      source_resource_id: ids.gateway,
      source_slug: 'gateway',
      target_resource_id: ids.files,
      target_slug: 'files',
      scope_map: { 'gateway:read': ['files:read'], 'gateway:write': ['files:read', 'files:write'] },
      created_at: undefined,
      created_by: 'admin-api',
    });
    assert.ok(!Number.isNaN(Date.parse(link.created_at)));
    const toMail = await (await admin('/admin/fronting', json({ source: 'https://gateway.example.com/mcp', target: 'mail', scope_map: { 'gateway:read': ['mail:read'] } }))).json();
    assert.equal(toMail.target_slug, 'mail', 'a resource may be named by its URI');

    assert.deepEqual(linkIds((await (await admin('/admin/fronting')).json()).links), [link.id, toMail.id].sort());
    assert.deepEqual((await (await admin('/admin/fronting?target=mail')).json()).links.map((l: { id: string }) => l.id), [toMail.id]);
    assert.deepEqual((await (await admin(`/admin/fronting?source=gateway&target=${ids.files}`)).json()).links.map((l: { id: string }) => l.id), [link.id]);
    assert.deepEqual((await (await admin('/admin/fronting?source=files')).json()).links, []);
    const unknownFilter = await admin('/admin/fronting?source=nope');
    assert.equal(unknownFilter.status, 400);
    assert.deepEqual((await unknownFilter.json()).errors, [{ field: 'source', message: "no resource 'nope'" }]);
    assert.deepEqual(await (await admin(`/admin/fronting/${link.id}`)).json(), link);

    const found = await admin(`/admin/probe/fronting/${ids.gateway}/${ids.files}`);
    assert.deepEqual(await found.json(), { id: link.id, scopeMap: link.scope_map });
    assert.equal((await admin(`/admin/probe/fronting/${ids.files}/${ids.gateway}`)).status, 404, 'a link has a direction');

    assert.equal((await admin(`/admin/fronting/${link.id}`, { method: 'DELETE' })).status, 204);
    const gone = await admin(`/admin/fronting/${link.id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.headers.get('content-type'), 'application/problem+json');
    assert.equal((await admin(`/admin/fronting/${link.id}`, { method: 'DELETE' })).status, 404);
    assert.equal((await admin(`/admin/probe/fronting/${ids.gateway}/${ids.files}`)).status, 404);
  });

  test(`a link that would close a cycle is refused with a 409 naming it, and a second link for a pair is a 409 (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const { admin } = await startFrontingServer(t, storage);
    await createResources(admin);
    const link = (source: string, target: string) =>
      admin('/admin/fronting', json({ source, target, scope_map: { [`${source}:read`]: [`${target}:read`] } }));
    assert.equal((await link('gateway', 'files')).status, 201);
    assert.equal((await link('files', 'mail')).status, 201);

    const closing = await link('mail', 'gateway');
    assert.equal(closing.status, 409);
    assert.equal(closing.headers.get('content-type'), 'application/problem+json');
    const problem = await closing.json();
    assert.deepEqual(problem.cycle, ['mail', 'gateway', 'files', 'mail']);
    assert.match(problem.detail, /would close the cycle mail → gateway → files → mail/);
    const back = await link('files', 'gateway');
    assert.equal(back.status, 409, 'a two-resource loop is a cycle too');
    assert.deepEqual((await back.json()).cycle, ['files', 'gateway', 'files']);
    // Not a cycle: a second path to the same resource.
    assert.equal((await link('gateway', 'mail')).status, 201);

    const again = await link('gateway', 'files');
    assert.equal(again.status, 409);
    assert.match((await again.json()).detail, /from 'gateway' to 'files' already exists/);
    assert.equal((await (await admin('/admin/fronting')).json()).links.length, 3);
  });

  test(`deleting a resource a link refers to is a 409 listing the links, and cascade deletes them with it (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const { admin, server } = await startFrontingServer(t, storage);
    const ids = await createResources(admin);
    const first = await (await admin('/admin/fronting', json(gatewayToFiles()))).json();
    const second = await (await admin('/admin/fronting', json({ source: 'mail', target: 'gateway', scope_map: { 'mail:read': ['gateway:read'] } }))).json();
    const unrelated = await (await admin('/admin/fronting', json({ source: 'mail', target: 'files', scope_map: { 'mail:read': ['files:read'] } }))).json();

    const refused = await admin('/admin/resources/gateway', { method: 'DELETE' });
    assert.equal(refused.status, 409);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    const problem = await refused.json();
    assert.deepEqual(byId(problem.dependents), byId([
      { kind: 'fronting_link', id: first.id, description: 'gateway → files' },
      { kind: 'fronting_link', id: second.id, description: 'mail → gateway' },
    ]));
    assert.match(problem.detail, /cascade/);
    assert.equal((await admin('/admin/resources/gateway')).status, 200, 'the refused delete removed nothing');
    assert.equal((await (await admin('/admin/fronting')).json()).links.length, 3);
    assert.equal((await admin('/admin/resources/gateway?cascade=maybe', { method: 'DELETE' })).status, 400);

    assert.equal((await admin('/admin/resources/gateway?cascade=true', { method: 'DELETE' })).status, 204);
    assert.equal((await admin('/admin/resources/gateway')).status, 404);
    assert.deepEqual((await (await admin('/admin/fronting')).json()).links.map((l: { id: string }) => l.id), [unrelated.id]);

    await server.runtimeApi().audit.flush();
    const deleted = await server.db('audit_events').where('action', 'fronting_link_deleted').orderBy('id');
    assert.deepEqual(deleted.map((e) => JSON.parse(e.detail).link_id).sort(), [first.id, second.id].sort());
    for (const event of deleted) assert.equal(JSON.parse(event.detail).cascade_from_resource_id, ids.gateway);
    const resourceDeleted = await server.db('audit_events').where('action', 'resource_deleted').first();
    assert.deepEqual(byId(JSON.parse(resourceDeleted.detail).cascaded), byId([
      { kind: 'fronting_link', id: first.id },
      { kind: 'fronting_link', id: second.id },
    ]));
    // A resource nothing refers to needs no cascade.
    await admin(`/admin/fronting/${unrelated.id}`, { method: 'DELETE' });
    assert.equal((await admin('/admin/resources/mail', { method: 'DELETE' })).status, 204);
  });
}

test('a dry run answers what a link would allow and whether it would be refused, and writes nothing', async (t) => {
  const { admin, server } = await startFrontingServer(t);
  const ids = await createResources(admin);

  const preview = await admin('/admin/fronting?dry_run=true', json(gatewayToFiles()));
  assert.equal(preview.status, 200);
  assert.deepEqual(await preview.json(), {
    dry_run: true,
    would_create: true,
    refused: null,
    source: { id: ids.gateway, slug: 'gateway' },
    target: { id: ids.files, slug: 'files' },
    gateway_client_ids: ['gw-client'],
    allows: { 'gateway:read': ['files:read'], 'gateway:write': ['files:read', 'files:write'] },
    warnings: [],
  });
  assert.deepEqual((await (await admin('/admin/fronting')).json()).links, [], 'a dry run creates no link');

  const noGateway = await (await admin('/admin/fronting?dry_run=true', json({ source: 'files', target: 'mail', scope_map: { 'files:read': ['mail:read'] } }))).json();
  assert.equal(noGateway.would_create, true);
  assert.deepEqual(noGateway.gateway_client_ids, []);
  assert.match(noGateway.warnings[0], /'files' lists no policy.runtime.client_ids/);

  assert.equal((await admin('/admin/fronting', json({ source: 'files', target: 'gateway', scope_map: { 'files:read': ['gateway:read'] } }))).status, 201);
  const cycle = await (await admin('/admin/fronting?dry_run=true', json(gatewayToFiles()))).json();
  assert.equal(cycle.would_create, false);
  assert.equal(cycle.refused.status, 409);
  assert.deepEqual(cycle.refused.cycle, ['gateway', 'files', 'gateway']);
  assert.equal(cycle.gateway_client_ids[0], 'gw-client', 'a refused preview still shows what it would have allowed');

  const badScope = await (await admin('/admin/fronting?dry_run=true', json(gatewayToFiles({ scope_map: { 'gateway:read': ['mail:read'] } })))).json();
  assert.equal(badScope.would_create, false);
  assert.equal(badScope.refused.status, 400);
  assert.deepEqual(badScope.refused.errors, [{ field: 'scope_map.gateway:read.0', message: "'mail:read' is not a scope of resource 'files'" }]);
  // A malformed body is a 400 in a dry run too; a dry_run other than true or false is refused.
  assert.equal((await admin('/admin/fronting?dry_run=true', json({ source: 'gateway' }))).status, 400);
  assert.equal((await admin('/admin/fronting?dry_run=yes', json(gatewayToFiles()))).status, 400);

  await server.runtimeApi().audit.flush();
  const created = await server.db('audit_events').where('action', 'fronting_link_created');
  assert.equal(created.length, 1, 'only the real create is audited');
});

test('malformed or inconsistent link bodies are 400 problems naming the field', async (t) => {
  const { admin } = await startFrontingServer(t);
  await createResources(admin);
  const cases: [Record<string, unknown>, string, RegExp?][] = [
    [gatewayToFiles({ source: undefined }), 'source'],
    [gatewayToFiles({ scope_map: undefined }), 'scope_map'],
    [gatewayToFiles({ scope_map: {} }), 'scope_map'],
    [gatewayToFiles({ scope_map: { 'gateway:read': [] } }), 'scope_map.gateway:read'],
    [gatewayToFiles({ scope_map: { 'gateway:read': 'files:read' } }), 'scope_map.gateway:read'],
    [gatewayToFiles({ scope_map: { 'gateway:read': ['files:read', 'files:read'] } }), 'scope_map.gateway:read'],
    [gatewayToFiles({ color: 'blue' }), 'color'],
    [gatewayToFiles({ source: 'nope' }), 'source', /no resource 'nope'/],
    [gatewayToFiles({ target: 'nope' }), 'target', /no resource 'nope'/],
    [gatewayToFiles({ target: 'gateway', scope_map: { 'gateway:read': ['gateway:read'] } }), 'target', /another resource/],
    [gatewayToFiles({ scope_map: { 'files:read': ['files:read'] } }), 'scope_map.files:read', /not a scope of resource 'gateway'/],
    [gatewayToFiles({ scope_map: { 'gateway:read': ['files:read', 'files:admin'] } }), 'scope_map.gateway:read.1', /not a scope of resource 'files'/],
  ];
  for (const [body, field, message] of cases) {
    const response = await admin('/admin/fronting', json(body));
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const problem = await response.json();
    assert.ok(problem.errors.some((e: { field: string }) => e.field === field), `${field} in ${JSON.stringify(problem.errors)}`);
    if (message) assert.match(problem.detail, message);
  }
  const notJson = await admin('/admin/fronting', { method: 'POST', body: 'source=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(notJson.status, 415);
  assert.deepEqual((await (await admin('/admin/fronting')).json()).links, []);
});

test('link changes are audited with the admin API as actor', async (t) => {
  const { admin, server } = await startFrontingServer(t);
  const ids = await createResources(admin);
  const link = await (await admin('/admin/fronting', json(gatewayToFiles()))).json();
  await admin(`/admin/fronting/${link.id}`, { method: 'DELETE' });
  await server.runtimeApi().audit.flush();
  const events = await server.db('audit_events').whereIn('action', ['fronting_link_created', 'fronting_link_deleted']).orderBy('id');
  assert.deepEqual(events.map((e) => e.action), ['fronting_link_created', 'fronting_link_deleted']);
  for (const event of events) {
    assert.equal(event.actor_id, 'admin-api');
    assert.equal(event.ip, '127.0.0.1');
    assert.ok(event.request_id);
    const detail = JSON.parse(event.detail);
    assert.equal(detail.link_id, link.id);
    assert.equal(detail.source_resource_id, ids.gateway);
    assert.equal(detail.target_resource_id, ids.files);
  }
  assert.deepEqual(JSON.parse(events[0].detail).scope_map, link.scope_map);
});

test('the fronting admin API needs the admin key', async (t) => {
  const { adminUrl } = await startFrontingServer(t);
  assert.equal((await fetch(`${adminUrl}/admin/fronting`)).status, 401);
});
