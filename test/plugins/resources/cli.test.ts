import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli, startServer } from '../../helpers/server.js';
import { resources } from 'authplane/plugins';

function setup(t: Parameters<typeof repoTempDir>[0]) {
  const dir = repoTempDir(t, 'resources-cli-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { resources } from 'authplane/plugins';"],
    plugins: ['resources()'],
  });
  // The CLI works on the database directly: no admin listener, no admin key.
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env: { AUTHPLANE_ADMIN_ENABLED: 'false' } });
  return { dir, cli };
}

test('admin resource create, list, get, update and delete work with the admin listener disabled', async (t) => {
  const { dir, cli } = setup(t);
  const created = await cli(
    'admin', 'resource', 'create',
    '--slug', 'files',
    '--display-name', 'Files MCP',
    '--uri', 'https://mcp.example.com/mcp',
    '--scopes', 'files:read=Read your files, files:write',
    '--json',
  );
  assert.equal(created.code, 0, created.stderr);
  const resource = JSON.parse(created.stdout);
  assert.equal(resource.backend_kind, 'mint');
  assert.deepEqual(resource.scopes, [{ name: 'files:read', description: 'Read your files' }, { name: 'files:write' }]);

  const brokered = { slug: 'github', display_name: 'GitHub', uri: 'https://gh.example.com/mcp', backend_kind: 'broker', broker_provider_id: 'github' };
  const refused = await cli('admin', 'resource', 'create', '--data', JSON.stringify(brokered));
  assert.equal(refused.code, 1, 'no enabled plugin serves broker resources');
  assert.deepEqual(errorLines(refused.stderr), ["error: backend_kind: 'broker' resources are served by no enabled plugin (enable the plugin that serves them, e.g. broker)"]);
  const fromData = await cli('admin', 'resource', 'create', '--data', JSON.stringify({
    ...brokered, backend_kind: undefined, broker_provider_id: undefined,
    scopes: [{ name: 'repo', description: 'Repositories, issues, pulls', upstream: ['repo', 'read:org'] }],
  }));
  assert.equal(fromData.code, 0, fromData.stderr);
  assert.match(fromData.stdout, /^backend_kind\s+mint$/m);

  const list = await cli('admin', 'resource', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout).resources;
  assert.deepEqual(listed.map((r: { slug: string }) => r.slug), ['files', 'github']);
  assert.deepEqual(listed[1].scopes[0].upstream, ['repo', 'read:org']);
  const table = await cli('admin', 'resource', 'list');
  assert.match(table.stdout, /^ID\s+SLUG\s+BACKEND_KIND\s+URI\s+SCOPES/m);
  assert.match(table.stdout, /files\s+mint\s+https:\/\/mcp\.example\.com\/mcp\s+files:read files:write/);

  const updated = await cli('admin', 'resource', 'update', 'files', '--display-name', 'Files', '--json');
  assert.equal(JSON.parse(updated.stdout).display_name, 'Files');
  const got = await cli('admin', 'resource', 'get', resource.id, '--json');
  assert.equal(JSON.parse(got.stdout).display_name, 'Files');

  // What the CLI wrote is what a server on the same database serves.
  const { admin } = await startServer(t, { plugins: [resources()], dir });
  assert.equal((await (await admin('/admin/resources/github')).json()).scopes[0].description, 'Repositories, issues, pulls');

  const deleted = await cli('admin', 'resource', 'delete', 'files');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal((await admin('/admin/resources/files')).status, 404);
});

test('admin resource commands report problems on stderr with exit code 1', async (t) => {
  const { cli } = setup(t);
  const bad = await cli('admin', 'resource', 'create', '--slug', 'x', '--display-name', 'X', '--uri', 'http://mcp.example.com/');
  assert.equal(bad.code, 1);
  assert.deepEqual(errorLines(bad.stderr), ['error: uri: must use https (http only for loopback hosts)']);
  const missing = await cli('admin', 'resource', 'get', 'nope');
  assert.equal(missing.code, 1);
  assert.deepEqual(errorLines(missing.stderr), ["error: resource 'nope' not found"]);
  const usage = await cli('admin', 'resource', 'get');
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /usage: authserver admin resource get <id-or-slug>/);
  const data = await cli('admin', 'resource', 'create', '--data', '[1]');
  assert.match(data.stderr, /--data must be a JSON object/);
});

test('admin resource create and update warn on stderr when the URI ends in a slash, and still save it', async (t) => {
  const { cli } = setup(t);
  const slashed = await cli('admin', 'resource', 'create', '--slug', 'files', '--display-name', 'Files', '--uri', 'https://mcp.example.com/mcp/', '--json');
  assert.equal(slashed.code, 0, slashed.stderr);
  assert.equal(JSON.parse(slashed.stdout).uri, 'https://mcp.example.com/mcp/', 'stdout stays the JSON record');
  assert.match(
    slashed.stderr,
    /^warning: uri https:\/\/mcp\.example\.com\/mcp\/ ends in a slash: MCP clients compare the Protected Resource Metadata `resource` with the URL they connect to exactly\b.*https:\/\/mcp\.example\.com\/mcp\b/m,
  );

  const plain = await cli('admin', 'resource', 'create', '--slug', 'notes', '--display-name', 'Notes', '--uri', 'https://mcp.example.com/notes');
  assert.equal(plain.code, 0, plain.stderr);
  assert.doesNotMatch(plain.stderr, /warning/);
  const origin = await cli('admin', 'resource', 'create', '--slug', 'root', '--display-name', 'Root', '--uri', 'https://root.example.com/');
  assert.doesNotMatch(origin.stderr, /warning/, 'an origin has no other spelling: URL parsers add the slash');

  const updated = await cli('admin', 'resource', 'update', 'notes', '--uri', 'https://mcp.example.com/notes/');
  assert.equal(updated.code, 0, updated.stderr);
  assert.match(updated.stderr, /^warning: uri https:\/\/mcp\.example\.com\/notes\/ ends in a slash/m);
  const renamed = await cli('admin', 'resource', 'update', 'files', '--display-name', 'Files MCP');
  assert.doesNotMatch(renamed.stderr, /warning/, 'only a URI given in this command is checked');
});
