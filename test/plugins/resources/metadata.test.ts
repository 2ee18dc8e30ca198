import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { json, mcpResource, patch, startResourceServer } from './setup.js';

const PRM = '/.well-known/oauth-protected-resource';

/** fetch cannot set Host; the PRM lookup prefers the resource on the request's host. */
function getWithHost(url: string, host: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('discovery scopes_supported follows resource changes without a restart', async (t) => {
  const { admin, url } = await startResourceServer(t);
  const discovery = async () => (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()).scopes_supported;
  assert.deepEqual(await discovery(), ['offline_access']);

  await admin('/admin/resources', json(mcpResource()));
  await admin('/admin/resources', json(mcpResource({ slug: 'mail', uri: 'https://mail.example.com/mcp', scopes: [{ name: 'mail' }, { name: 'files:read' }] })));
  assert.deepEqual(await discovery(), ['files:read', 'files:write', 'mail', 'offline_access']);

  await admin('/admin/resources/files', patch({ scopes: [{ name: 'files:admin' }] }));
  assert.deepEqual(await discovery(), ['files:admin', 'files:read', 'mail', 'offline_access']);

  await admin('/admin/resources/mail', { method: 'DELETE' });
  assert.deepEqual(await discovery(), ['files:admin', 'offline_access']);
});

test('protected resource metadata is served at the resource path, with or without a trailing slash, and by slug', async (t) => {
  const { admin, url } = await startResourceServer(t);
  await admin('/admin/resources', json(mcpResource({ uri: 'https://MCP.example.com/mcp/' })));

  for (const path of [`${PRM}/mcp`, `${PRM}/mcp/`, `${PRM}/files`]) {
    const response = await fetch(`${url}${path}`);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(response.headers.get('cache-control') ?? '', /max-age=\d+/);
    assert.deepEqual(await response.json(), {
      resource: 'https://MCP.example.com/mcp/',
      authorization_servers: ['http://localhost:9000'],
      scopes_supported: ['files:read', 'files:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'Files MCP',
    });
  }
  // The path is case-sensitive.
  assert.equal((await fetch(`${url}${PRM}/MCP`)).status, 404);
});

test('protected resource metadata for an unknown path is a 404 with an OAuth error body', async (t) => {
  const { admin, url } = await startResourceServer(t);
  await admin('/admin/resources', json(mcpResource()));
  for (const path of [`${PRM}/unknown`, `${PRM}/mcp/deeper`, PRM]) {
    const response = await fetch(`${url}${path}`);
    assert.equal(response.status, 404, path);
    const body = await response.json();
    assert.equal(typeof body.error, 'string');
    assert.equal(typeof body.error_description, 'string');
  }
});

test('a resource at the root of its host is served at the bare well-known URL, and shared paths are told apart by Host or slug', async (t) => {
  const { admin, url } = await startResourceServer(t);
  await admin('/admin/resources', json(mcpResource({ slug: 'root', uri: 'https://root.example.com' })));
  const bare = await (await fetch(`${url}${PRM}`)).json();
  assert.equal(bare.resource, 'https://root.example.com');

  await admin('/admin/resources', json(mcpResource({ slug: 'alpha', uri: 'https://alpha.example.com/mcp', scopes: [{ name: 'a' }] })));
  await admin('/admin/resources', json(mcpResource({ slug: 'beta', uri: 'https://beta.example.com:8443/mcp', scopes: [{ name: 'b' }] })));
  const ambiguous = await fetch(`${url}${PRM}/mcp`);
  assert.equal(ambiguous.status, 404);
  assert.match((await ambiguous.json()).error_description, /several resources/);

  const alpha = await getWithHost(`${url}${PRM}/mcp`, 'ALPHA.example.com');
  assert.equal(alpha.status, 200);
  assert.equal(alpha.body.resource, 'https://alpha.example.com/mcp');
  const beta = await getWithHost(`${url}${PRM}/mcp`, 'beta.example.com:8443');
  assert.equal(beta.body.resource, 'https://beta.example.com:8443/mcp');
  assert.deepEqual((await (await fetch(`${url}${PRM}/beta`)).json()).scopes_supported, ['b']);
});

test('the metadata of a renamed or deleted resource changes at once', async (t) => {
  const { admin, url } = await startResourceServer(t);
  await admin('/admin/resources', json(mcpResource()));
  await admin('/admin/resources/files', patch({ uri: 'https://mcp.example.com/v2/mcp' }));
  assert.equal((await fetch(`${url}${PRM}/mcp`)).status, 404);
  assert.equal((await fetch(`${url}${PRM}/v2/mcp`)).status, 200);
  await admin('/admin/resources/files', { method: 'DELETE' });
  assert.equal((await fetch(`${url}${PRM}/v2/mcp`)).status, 404);
  assert.equal((await fetch(`${url}${PRM}/files`)).status, 404);
});
