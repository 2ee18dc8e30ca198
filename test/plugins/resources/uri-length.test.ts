/**
 * resources.uri_key holds the normalized URI in 2048 characters (its unique index caps how wide it can be), but
 * normalizing percent-encodes: a 2048-character URI with non-ASCII characters grows to several times that. Such a
 * URI is refused where it is written (admin API, CLI, seeds) on both databases, and a lookup with one — the
 * `resource` of /oauth/authorize or the token endpoint — finds nothing: `invalid_target`, never a 500.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { resources } from 'authplane/plugins';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { freshPostgresDatabase, requirePostgres } from '../../helpers/postgres.js';
import { runCli, startServer } from '../../helpers/server.js';
import { authorizeUrl } from '../oauth/flow.js';
import { oauthServer } from '../oauth/setup.js';
import { json, mcpResource, patch, startResourceServer } from './setup.js';

type Storage = 'sqlite' | 'postgres';

/** 2048 characters as sent, 2048 + 5 × 400 once each 'é' becomes '%C3%A9'. */
const GROWING_URI = `https://mcp.example.com/${'é'.repeat(400)}${'a'.repeat(2048 - 24 - 400)}`;
/** Exactly at the limit once normalized (lower-casing the host keeps the length). */
const LONGEST_URI = `https://MCP.example.com/${'a'.repeat(2048 - 24)}`;
const TOO_LONG = /^uri: is longer than 2048 characters once normalized \(4048, non-ASCII characters percent-encoded\)/;

async function adminRefusesOverlongUris(t: TestContext, storage: Storage) {
  assert.equal(GROWING_URI.length, 2048);
  const { admin } = await startResourceServer(t, { storage });
  const created = await admin('/admin/resources', json(mcpResource({ uri: GROWING_URI })));
  const problem = await created.json();
  assert.equal(created.status, 400, JSON.stringify(problem));
  assert.match(created.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.match(problem.detail, TOO_LONG);
  assert.equal(problem.errors[0].field, 'uri');
  assert.equal((await (await admin('/admin/resources')).json()).resources.length, 0, 'nothing was stored');

  const longest = await admin('/admin/resources', json(mcpResource({ uri: LONGEST_URI })));
  assert.equal(longest.status, 201, await longest.clone().text());
  const moved = await admin('/admin/resources/files', patch({ uri: GROWING_URI }));
  assert.equal(moved.status, 400);
  assert.match((await moved.json()).detail, TOO_LONG);
  assert.equal((await (await admin('/admin/resources/files')).json()).uri, LONGEST_URI, 'the stored URI is unchanged');

  // The service's lookup with a key longer than any stored one finds nothing, and still finds the longest.
  for (const q of [GROWING_URI, `https://mcp.example.com/${'a'.repeat(5000)}`]) {
    const resolved = await admin(`/admin/probe/resources/resolve?q=${encodeURIComponent(q)}`);
    assert.equal(resolved.status, 404, await resolved.clone().text());
  }
  assert.equal((await admin(`/admin/probe/resources/resolve?q=${encodeURIComponent(LONGEST_URI)}`)).status, 200);
}

test('a resource URI longer than the column once normalized is a 400 problem on SQLite', async (t) => {
  await adminRefusesOverlongUris(t, 'sqlite');
});

test('a resource URI longer than the column once normalized is a 400 problem on PostgreSQL, not a 500', async (t) => {
  if (!(await requirePostgres(t))) return;
  await adminRefusesOverlongUris(t, 'postgres');
});

async function cliRefusesOverlongUris(t: TestContext, storage: Storage) {
  const dir = repoTempDir(t, 'resources-uri-length-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { resources } from 'authplane/plugins';"],
    plugins: ['resources()'],
  });
  const env: NodeJS.ProcessEnv = { AUTHPLANE_ADMIN_ENABLED: 'false' };
  if (storage === 'postgres') Object.assign(env, { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: await freshPostgresDatabase(t) });
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env });

  const created = await cli('admin', 'resource', 'create', '--slug', 'files', '--display-name', 'Files', '--uri', GROWING_URI);
  assert.equal(created.code, 1, created.stderr);
  assert.equal(errorLines(created.stderr).length, 1, created.stderr);
  assert.match(errorLines(created.stderr)[0]!, /^error: uri: is longer than 2048 characters once normalized/);
  assert.equal((await cli('admin', 'resource', 'create', '--slug', 'files', '--display-name', 'Files', '--uri', LONGEST_URI)).code, 0);
  const updated = await cli('admin', 'resource', 'update', 'files', '--uri', GROWING_URI);
  assert.equal(updated.code, 1, updated.stderr);
  assert.match(errorLines(updated.stderr)[0]!, /^error: uri: is longer than 2048 characters once normalized/);
}

test('the CLI refuses a resource URI longer than the column once normalized with a clear error (SQLite)', async (t) => {
  await cliRefusesOverlongUris(t, 'sqlite');
});

test('the CLI refuses a resource URI longer than the column once normalized with a clear error (PostgreSQL)', async (t) => {
  if (!(await requirePostgres(t))) return;
  await cliRefusesOverlongUris(t, 'postgres');
});

test('a seed or AUTHPLANE_RESOURCE_URI longer than the column once normalized stops boot naming it (PostgreSQL)', async (t) => {
  if (!(await requirePostgres(t))) return;
  const fromEnv = startServer(t, { storage: 'postgres', plugins: [resources()], env: { AUTHPLANE_RESOURCE_URI: GROWING_URI } });
  await assert.rejects(fromEnv, (err: Error & { code?: string }) => {
    assert.equal(err.code, 'AP_ERR_RESOURCES_SEED_INVALID');
    assert.match(err.message, /AUTHPLANE_RESOURCE_URI \(slug '[a-z0-9-]+'\): uri: is longer than 2048 characters once normalized/);
    return true;
  });
  const fromSeed = startServer(t, { storage: 'postgres', plugins: [resources({ seed: [mcpResource({ uri: GROWING_URI }) as never] })] });
  await assert.rejects(fromSeed, (err: Error & { code?: string }) => {
    assert.equal(err.code, 'AP_ERR_RESOURCES_SEED_INVALID');
    assert.match(err.message, /resources\.seed\[0\] \(slug 'files'\): uri: is longer than 2048 characters once normalized/);
    return true;
  });
});

async function authorizeAnswersInvalidTarget(t: TestContext, storage: Storage) {
  const fx = await oauthServer(t, { storage });
  for (const resource of [GROWING_URI, `https://mcp.example.com/${'é'.repeat(1000)}`]) {
    const response = await fetch(authorizeUrl(fx, { resource }), { redirect: 'manual' });
    assert.equal(response.status, 302, await response.clone().text());
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'invalid_target');
    assert.match(location.searchParams.get('error_description')!, /^resource 'https:\/\/mcp\.example\.com\/(%C3%A9)+'\.\.\. is not registered$/);
  }
}

test('/oauth/authorize answers invalid_target for a resource URI longer than any stored key (SQLite)', async (t) => {
  await authorizeAnswersInvalidTarget(t, 'sqlite');
});

test('/oauth/authorize answers invalid_target for a resource URI longer than any stored key (PostgreSQL)', async (t) => {
  if (!(await requirePostgres(t))) return;
  await authorizeAnswersInvalidTarget(t, 'postgres');
});
