/**
 * The admin API gives each resource the Protected Resource Metadata URL to hand its MCP server: on the issuer, by
 * the path of its URI while that path finds it, by slug once another resource shares the path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resources } from 'authplane/plugins';
import { startServer } from '../../helpers/server.js';

test('metadata_url is the path URL, or the slug URL when the path is shared, and each serves its resource', async (t) => {
  const server = await startServer(t, { exactIssuer: true, plugins: [resources()] });
  const create = async (slug: string, uri: string) => {
    const response = await server.admin('/admin/resources', { method: 'POST', body: JSON.stringify({ slug, display_name: slug, uri }) });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as { id: string; metadata_url: string };
  };
  const prm = `${server.url}/.well-known/oauth-protected-resource`;
  const files = await create('files', 'https://a.example.com/mcp');
  assert.equal(files.metadata_url, `${prm}/mcp`);
  const served = async (url: string) => {
    const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    assert.equal(response.status, 200, url);
    return ((await response.json()) as { resource: string }).resource;
  };
  assert.equal(await served(files.metadata_url), 'https://a.example.com/mcp');

  // A second resource on another host with the same path: the path no longer finds one, so both get their slug URL.
  await create('notes', 'https://b.example.com/mcp/');
  const listed = (await (await server.admin('/admin/resources')).json()) as { resources: { slug: string; metadata_url: string }[] };
  assert.deepEqual(listed.resources.map((r) => [r.slug, r.metadata_url]).sort(), [
    ['files', `${prm}/files`],
    ['notes', `${prm}/notes`],
  ]);
  assert.equal(await served(`${prm}/files`), 'https://a.example.com/mcp');
  assert.equal(await served(`${prm}/notes`), 'https://b.example.com/mcp/');
  const one = (await (await server.admin(`/admin/resources/${files.id}`)).json()) as { metadata_url: string };
  assert.equal(one.metadata_url, `${prm}/files`);

  // A resource at the root of its host: the bare well-known URL.
  const root = await create('root', 'https://c.example.com');
  assert.equal(root.metadata_url, prm);
  assert.equal(await served(prm), 'https://c.example.com');
});
