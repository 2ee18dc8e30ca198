import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resources } from 'authplane/plugins';
import { AuthPlane } from 'authplane';
import { basePlugins, startServer, tempDir } from '../../helpers/server.js';
import { mcpResource, patch, startResourceServer } from './setup.js';

const seed = (overrides: Record<string, unknown> = {}) => mcpResource(overrides) as never;

test('seeded resources are inserted when their slug is missing and never overwritten on a restart', async (t) => {
  const first = await startResourceServer(t, { resources: { seed: [seed()] } });
  const [files] = (await (await first.admin('/admin/resources')).json()).resources;
  assert.equal(files.slug, 'files');
  assert.deepEqual(files.scopes.map((s: { name: string }) => s.name), ['files:read', 'files:write']);
  // The operator edits the seeded row; the seed is not the source of truth after the first boot.
  await first.admin('/admin/resources/files', patch({ display_name: 'Edited by the operator' }));
  await first.server.stop();

  const second = await startResourceServer(t, {
    dir: first.dir,
    resources: {
      seed: [
        seed({ display_name: 'Changed in the config', scopes: [{ name: 'other' }] }),
        seed({ slug: 'mail', uri: 'https://mail.example.com/mcp', scopes: [{ name: 'mail:send' }] }),
      ],
    },
  });
  const list = (await (await second.admin('/admin/resources')).json()).resources;
  assert.deepEqual(list.map((r: { slug: string }) => r.slug), ['files', 'mail']);
  assert.equal(list[0].id, files.id);
  assert.equal(list[0].display_name, 'Edited by the operator');
  assert.deepEqual(list[0].scopes, files.scopes);
  const discovery = await (await fetch(`${second.url}/.well-known/oauth-authorization-server`)).json();
  assert.deepEqual(discovery.scopes_supported, ['files:read', 'files:write', 'mail:send', 'offline_access']);

  await second.server.runtimeApi().audit.flush();
  const seeded = await second.server.db('audit_events').where({ action: 'resource_created', actor_id: 'seed' });
  assert.equal(seeded.length, 2, 'one per inserted seed across both boots');
});

test('AUTHPLANE_RESOURCE_URI and AUTHPLANE_RESOURCE_SCOPES seed one mint resource without an unknown-variable warning', async (t) => {
  const env = { AUTHPLANE_RESOURCE_URI: 'https://MCP.example.com/tools/', AUTHPLANE_RESOURCE_SCOPES: 'tools:read, tools:call,tools:read' };
  const { admin, url, logs, dir, server } = await startResourceServer(t, { env });
  const [resource] = (await (await admin('/admin/resources')).json()).resources;
  assert.equal(resource.slug, 'mcp-example-com-tools');
  assert.equal(resource.uri, 'https://MCP.example.com/tools/');
  assert.equal(resource.display_name, 'https://MCP.example.com/tools/');
  assert.equal(resource.backend_kind, 'mint');
  assert.deepEqual(resource.scopes, [{ name: 'tools:read' }, { name: 'tools:call' }]);
  assert.equal((await fetch(`${url}/.well-known/oauth-protected-resource/tools`)).status, 200);
  assert.ok(!logs.some((l) => String(l.msg).includes('AUTHPLANE_RESOURCE_')), 'the variables are declared by the plugin');

  // A restart with other scopes leaves the row alone.
  await admin('/admin/resources/mcp-example-com-tools', patch({ display_name: 'Tools' }));
  await server.stop();
  const again = await startResourceServer(t, { dir, env: { ...env, AUTHPLANE_RESOURCE_SCOPES: 'other' } });
  const list = (await (await again.admin('/admin/resources')).json()).resources;
  assert.equal(list.length, 1);
  assert.equal(list[0].display_name, 'Tools');
  assert.deepEqual(list[0].scopes, [{ name: 'tools:read' }, { name: 'tools:call' }]);
});

test('an AUTHPLANE_RESOURCE_URI longer than a display name is seeded whole, its display name cut at 200 characters', async (t) => {
  const uri = `https://mcp.example.com/${'a'.repeat(170)}${'\u{1F600}'.repeat(20)}`;
  const { admin } = await startResourceServer(t, { env: { AUTHPLANE_RESOURCE_URI: uri } });
  const [resource] = (await (await admin('/admin/resources')).json()).resources;
  assert.equal(resource.uri, uri);
  assert.ok(resource.display_name.length <= 200, resource.display_name);
  assert.ok(resource.display_name.endsWith('\u2026'), resource.display_name);
  assert.ok(uri.startsWith(resource.display_name.slice(0, -1)), 'cut between code points, never inside one');
  assert.equal(resource.display_name.length, 200 - 1, 'the last emoji would not fit whole before the ellipsis');
});

test('a seed whose URI another resource already has is skipped, not an error', async (t) => {
  const { admin } = await startResourceServer(t, {
    resources: { seed: [seed(), seed({ slug: 'files-again', uri: 'https://mcp.example.com/mcp/' })] },
    env: { AUTHPLANE_RESOURCE_URI: 'https://mcp.example.com/mcp' },
  });
  const list = (await (await admin('/admin/resources')).json()).resources;
  assert.deepEqual(list.map((r: { slug: string }) => r.slug), ['files']);
});

test('an invalid seed stops boot naming the entry and the reason', async (t) => {
  const dir = tempDir(t);
  const server = new AuthPlane(
    {
      storage: { sqlite: { path: `${dir}/db.sqlite` } },
      signing: { keyPath: `${dir}/keys` },
      log: { level: 'silent' },
      plugins: [...basePlugins(), resources({ seed: [seed({ uri: 'http://mcp.example.com/mcp' })] })],
    },
    { env: {} },
  );
  t.after(() => server.stop());
  await assert.rejects(server.boot(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'AP_ERR_RESOURCES_SEED_INVALID');
    assert.match(err.message, /resources\.seed\[0\].*slug 'files'.*uri: must use https/);
    return true;
  });
});

test('a seed that does not match the option schema is a config error with its path', async (t) => {
  await assert.rejects(
    startServer(t, { plugins: [resources({ seed: [{ slug: 'Bad Slug', display_name: 'x', uri: 'https://x.example.com', scopes: [] }] })] }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'AP_ERR_CONFIG_INVALID');
      assert.match(err.message, /resources\.seed\.0\.slug/);
      return true;
    },
  );
});
