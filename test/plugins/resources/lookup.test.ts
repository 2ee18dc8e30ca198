import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../helpers/wait.js';
import { json, mcpResource, patch, startResourceServer } from './setup.js';

test('resolve finds a resource by URI whatever the scheme and host case, default port or trailing slash, and by slug', async (t) => {
  const { admin } = await startResourceServer(t);
  const resource = await (await admin('/admin/resources', json(mcpResource()))).json();
  const resolve = (q: string) => admin(`/admin/probe/resources/resolve?q=${encodeURIComponent(q)}`);

  for (const q of [
    'https://mcp.example.com/mcp',
    'https://mcp.example.com/mcp/',
    'https://MCP.EXAMPLE.COM/mcp',
    'HTTPS://mcp.example.com:443/mcp/',
    'files',
  ]) {
    const response = await resolve(q);
    assert.equal(response.status, 200, q);
    assert.equal((await response.json()).id, resource.id, q);
  }
  for (const q of ['https://mcp.example.com/MCP', 'https://mcp.example.com/mcp#x', 'https://mcp.example.com/mcp//', 'http://mcp.example.com/mcp', 'nope']) {
    assert.equal((await resolve(q)).status, 404, q);
  }
  assert.equal((await admin(`/admin/probe/resources/by-id/${resource.id}`)).status, 200);
  const { scopes } = await (await admin('/admin/probe/resources')).json();
  assert.deepEqual(scopes, ['files:read', 'files:write']);
});

test('a change is visible to the service at once in the process that made it', async (t) => {
  const { admin } = await startResourceServer(t, { resources: { refreshInterval: 3600 } });
  await admin('/admin/resources', json(mcpResource()));
  await admin('/admin/resources/files', patch({ uri: 'https://mcp.example.com/v2', scopes: [{ name: 'files:admin' }] }));
  const resolve = (q: string) => admin(`/admin/probe/resources/resolve?q=${encodeURIComponent(q)}`);
  assert.equal((await resolve('https://mcp.example.com/mcp')).status, 404);
  assert.equal((await resolve('https://mcp.example.com/v2/')).status, 200);
  assert.deepEqual((await (await admin('/admin/probe/resources')).json()).scopes, ['files:admin']);
  await admin('/admin/resources/files', { method: 'DELETE' });
  assert.equal((await resolve('files')).status, 404);
});

test('a server sharing the database sees a resource another server created, on a miss and after the refresh interval', async (t) => {
  const first = await startResourceServer(t, { resources: { refreshInterval: 1 } });
  const second = await startResourceServer(t, { resources: { refreshInterval: 1 }, dir: first.dir });
  await second.admin('/admin/resources', json(mcpResource({ slug: 'warm', uri: 'https://warm.example.com/mcp' })));
  // `first` has loaded its copy (empty) at boot; the miss must re-read the table rather than answer 404.
  const created = await (await first.admin('/admin/resources', json(mcpResource()))).json();
  const seen = await second.admin('/admin/probe/resources/resolve?q=https%3A%2F%2Fmcp.example.com%2Fmcp');
  assert.equal(seen.status, 200);
  assert.equal((await seen.json()).id, created.id);

  // An edit (a hit, not a miss) shows up once the other server's copy is older than the interval, and the refresh
  // timer rebuilds discovery there without any lookup.
  await first.admin('/admin/resources/files', patch({ display_name: 'Renamed' }));
  await first.admin('/admin/resources', json(mcpResource({ slug: 'extra', uri: 'https://extra.example.com/', scopes: [{ name: 'extra' }] })));
  // Polled, not slept for: on a loaded machine the one-second timer can fire seconds late. Discovery reads the
  // catalog's memory only, so polling it triggers no lookup.
  const expected = JSON.stringify(['extra', 'files:read', 'files:write', 'offline_access']);
  let scopes: unknown;
  await waitFor(
    `the second server's discovery to list ${expected} after its refresh timer`,
    async () => {
      scopes = (await (await fetch(`${second.url}/.well-known/oauth-authorization-server`)).json()).scopes_supported;
      return JSON.stringify(scopes) === expected;
    },
    { lastSeen: () => scopes },
  );
  assert.equal((await (await second.admin('/admin/probe/resources/resolve?q=files')).json()).display_name, 'Renamed');
});
