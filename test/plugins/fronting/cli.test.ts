import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';

function setup(t: Parameters<typeof repoTempDir>[0]) {
  const dir = repoTempDir(t, 'fronting-cli-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { fronting, resources } from 'authplane/plugins';"],
    plugins: ['resources()', 'fronting()'],
  });
  // The CLI works on the database directly: no admin listener, no admin key.
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env: { AUTHPLANE_ADMIN_ENABLED: 'false' } });
  return { cli };
}

/** One `--data` create per resource: a CLI start costs seconds, so the resources come in one command each. */
async function createResource(cli: ReturnType<typeof setup>['cli'], slug: string, runtime: string[] = []) {
  const data = { slug, display_name: slug, uri: `https://${slug}.example.com/mcp`, scopes: [{ name: `${slug}:read` }, { name: `${slug}:write` }], policy: { runtime: { client_ids: runtime } } };
  const created = await cli('admin', 'resource', 'create', '--data', JSON.stringify(data), '--json');
  assert.equal(created.code, 0, created.stderr);
  return JSON.parse(created.stdout).id as string;
}

test('admin fronting create (with --dry-run), list, get and delete work with the admin listener disabled', async (t) => {
  const { cli } = setup(t);
  await createResource(cli, 'gateway', ['gw-client']);
  const filesId = await createResource(cli, 'files');

  const preview = await cli('admin', 'fronting', 'create', '--source', 'gateway', '--target', 'files', '--scope-map', 'gateway:read=files:read;gateway:write=files:read,files:write', '--dry-run');
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stdout, /^would_create\s+true$/m);
  assert.match(preview.stdout, /^gateway_client_ids\s+gw-client$/m);
  assert.match(preview.stdout, /^allows\s+gateway:read=files:read; gateway:write=files:read,files:write$/m);
  assert.match((await cli('admin', 'fronting', 'list')).stdout, /\(none\)/, 'the dry run created nothing');

  const created = await cli('admin', 'fronting', 'create', '--source', 'gateway', '--target', filesId, '--scope-map', 'gateway:read=files:read;gateway:write=files:read,files:write', '--json');
  assert.equal(created.code, 0, created.stderr);
  const link = JSON.parse(created.stdout);
  assert.equal(link.target_slug, 'files');
  assert.equal(link.created_by, 'cli');
  assert.deepEqual(link.scope_map, { 'gateway:read': ['files:read'], 'gateway:write': ['files:read', 'files:write'] });

  const table = await cli('admin', 'fronting', 'list');
  assert.match(table.stdout, /^ID\s+SOURCE\s+TARGET\s+SCOPE_MAP$/m);
  assert.match(table.stdout, new RegExp(`^${link.id}\\s+gateway\\s+files\\s+gateway:read=files:read; gateway:write=files:read,files:write$`, 'm'));
  assert.deepEqual(JSON.parse((await cli('admin', 'fronting', 'list', '--target', 'files', '--json')).stdout), { links: [link], next: null });
  assert.match((await cli('admin', 'fronting', 'get', link.id)).stdout, /^source_slug\s+gateway$/m);

  // The resource is guarded: refused without --cascade, the link named.
  const refused = await cli('admin', 'resource', 'delete', 'files');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, new RegExp(`resource 'files' is referred to by fronting_link ${link.id} \\(gateway → files\\)`));

  const deleted = await cli('admin', 'fronting', 'delete', link.id);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout.trim(), `deleted fronting link ${link.id}`);
  const gone = await cli('admin', 'fronting', 'get', link.id);
  assert.equal(gone.code, 1);
  assert.deepEqual(errorLines(gone.stderr), [`error: fronting link '${link.id}' not found`]);
});

test('admin resource delete --cascade deletes the links, and fronting commands report problems on stderr with exit code 1', async (t) => {
  const { cli } = setup(t);
  await createResource(cli, 'gateway', ['gw-client']);
  await createResource(cli, 'files');
  assert.equal((await cli('admin', 'fronting', 'create', '--data', JSON.stringify({ source: 'gateway', target: 'files', scope_map: { 'gateway:read': ['files:read'] } }))).code, 0);

  const cycle = await cli('admin', 'fronting', 'create', '--source', 'files', '--target', 'gateway', '--scope-map', 'files:read=gateway:read', '--dry-run', '--json');
  assert.equal(cycle.code, 1, 'a dry run that would be refused exits 1');
  assert.deepEqual(JSON.parse(cycle.stdout).refused.cycle, ['files', 'gateway', 'files']);
  const badScope = await cli('admin', 'fronting', 'create', '--source', 'files', '--target', 'gateway', '--scope-map', 'files:read=mail:read');
  assert.equal(badScope.code, 1);
  assert.deepEqual(errorLines(badScope.stderr), ["error: scope_map.files:read.0: 'mail:read' is not a scope of resource 'gateway'"]);
  const badMap = await cli('admin', 'fronting', 'create', '--source', 'files', '--target', 'gateway', '--scope-map', 'files:read');
  assert.equal(badMap.code, 1);
  assert.deepEqual(errorLines(badMap.stderr), ["error: --scope-map: 'files:read' is not source-scope=target-scope[,target-scope…]"]);
  const usage = await cli('admin', 'fronting', 'get');
  assert.match(usage.stderr, /usage: authserver admin fronting get <id>/);

  const cascaded = await cli('admin', 'resource', 'delete', 'files', '--cascade');
  assert.equal(cascaded.code, 0, cascaded.stderr);
  assert.match((await cli('admin', 'fronting', 'list')).stdout, /\(none\)/);
});
