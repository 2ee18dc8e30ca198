/**
 * `authserver build` bundles only the plugins a config imports: a client_credentials-only server carries no code of
 * the browser flow, dynamic registration, metadata documents or DPoP (the esbuild metafile says what went in), and
 * the output directory runs on its own — its version, its native SQLite addon, a token.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { repoTempDir } from '../helpers/config-files.js';
import { ADMIN_KEY, REPO_ROOT, runCli, tempDir } from '../helpers/server.js';
import { buildServer, bundledModules, bundledPlugins, serveBuilt } from './built-server.js';

const run = promisify(execFile);

const MACHINE_ONLY_CONFIG = `
import { defineConfig } from 'authplane';
import { clientCredentials, clients, keystoreKeyfile, resources, storageSqlite } from 'authplane/plugins';

export default defineConfig({
  storage: { sqlite: { path: 'data/authserver.db' } },
  signing: { keyPath: 'data/keys' },
  plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), clientCredentials()],
});
`;

test('a client_credentials-only build holds no oauth, dcr, cimd or dpop code, runs from an empty directory and issues a token', async (t) => {
  const configFile = join(repoTempDir(t, 'minimal-build-'), 'authplane.config.ts');
  writeFileSync(configFile, MACHINE_ONLY_CONFIG);
  const { dir, stdout, metafile } = await buildServer(t, configFile);

  assert.deepEqual(bundledPlugins(metafile), ['client-credentials', 'clients', 'keystore-keyfile', 'resources', 'storage-sqlite']);
  const modules = bundledModules(metafile);
  for (const absent of ['oauth', 'dcr', 'cimd', 'dpop']) {
    assert.deepEqual(modules.filter((input) => input.startsWith(`plugins/${absent}/`)), [], `no code of plugins/${absent} is in the bundle`);
    assert.deepEqual(Object.keys(metafile.inputs).filter((input) => input.startsWith(`plugins/${absent}/`)), [], `plugins/${absent} was not even read`);
  }
  assert.ok(modules.includes('kernel/app.ts'), 'the kernel is bundled from the sources the CLI runs');
  // Nor what only left-out plugins load on demand (tracing-otel's SDK), nor a PostgreSQL driver for a SQLite server
  // (knex's PostgreSQL dialect would bring pg).
  assert.deepEqual(modules.filter((input) => input.includes('node_modules/@opentelemetry/sdk-node/')), []);
  assert.deepEqual(modules.filter((input) => /node_modules\/(pg|knex\/lib\/dialects\/postgres)\//.test(input)), []);
  assert.match(stdout, /^ {2}plugins {3}client-credentials, clients, keystore-keyfile, resources, storage-sqlite$/m);
  assert.match(stdout, /^ {2}bundle {4}\d+ KiB of JavaScript/m);
  // better-sqlite3 is native: the package (and what finds its addon) is copied, its .node file included.
  assert.ok(existsSync(join(dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')));
  assert.ok(existsSync(join(dir, 'node_modules/bindings/bindings.js')));

  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const reported = await run(process.execPath, [join(dir, 'authserver.js'), 'version'], { cwd: tempDir(t), env: { PATH: process.env.PATH } });
  assert.equal(reported.stdout.trim(), `authserver ${version}`);

  const { url, adminUrl, child, exited, output } = await serveBuilt(t, dir, { env: { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY } });
  const created = await fetch(`${adminUrl}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Jobs', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const client = (await created.json()) as { client_id: string; client_secret: string };
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'jobs' }),
  });
  const body = (await response.json()) as { access_token: string; token_type: string; scope: string };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'Bearer');
  const jwks = createLocalJWKSet(await (await fetch(`${url}/.well-known/jwks.json`)).json());
  const { issuer } = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
  const { payload } = await jwtVerify(body.access_token, jwks, { issuer });
  assert.equal(payload.client_id, client.client_id);

  // What was left out is not served: no browser flow, no registration endpoint.
  assert.equal((await fetch(`${url}/oauth/authorize?client_id=x`)).status, 404);
  assert.equal((await fetch(`${url}/oauth/register`, { method: 'POST' })).status, 404);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, output());
  // The config is compiled in: a config file given at run time is refused, not silently ignored.
  const refused = await run(process.execPath, [join(dir, 'authserver.js'), 'migrate', '--config', configFile], { cwd: tempDir(t), env: { PATH: process.env.PATH } }).then(
    () => assert.fail('the build must refuse --config'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^error: this server was built with its config \(authserver build\); it reads no --config file$/m);
});

test('authserver build refuses a config without a plugins list: a built server has no default preset to fall back on', async (t) => {
  const cwd = tempDir(t);
  const configFile = join(repoTempDir(t, 'minimal-build-'), 'authplane.config.ts');
  writeFileSync(configFile, "import { defineConfig } from 'authplane';\nexport default defineConfig({ storage: { sqlite: { path: 'data/authserver.db' } } });\n");
  const refused = await runCli(['build', '--config', configFile, '--out', join(cwd, 'out')], { cwd });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /has no plugins list; a build bundles exactly the plugins the config lists, so list them/);
  assert.ok(!existsSync(join(cwd, 'out')), 'nothing was written');
});

test('authserver build refuses a missing --out, a missing config and a directory that is not an earlier build, touching nothing', async (t) => {
  const cwd = tempDir(t);
  const configFile = join(repoTempDir(t, 'minimal-build-'), 'authplane.config.ts');
  writeFileSync(configFile, MACHINE_ONLY_CONFIG);
  const occupied = tempDir(t);
  writeFileSync(join(occupied, 'notes.txt'), 'mine');
  const [noOut, noConfig, notABuild] = await Promise.all([
    runCli(['build', '--config', configFile], { cwd }),
    runCli(['build', '--out', join(cwd, 'out')], { cwd }),
    runCli(['build', '--config', configFile, '--out', occupied], { cwd }),
  ]);
  assert.equal(noOut.code, 1);
  assert.match(noOut.stderr, /^error: authserver build needs --out <dir>$/m);
  assert.equal(noConfig.code, 1);
  assert.match(noConfig.stderr, /^error: authserver build needs a config file \(--config <file>\): it names the plugins to bundle; authplane\.config\.ts does not exist$/m);
  assert.equal(notABuild.code, 1);
  assert.match(notABuild.stderr, /is neither empty nor an earlier build; not overwriting it$/m);
  assert.equal(readFileSync(join(occupied, 'notes.txt'), 'utf8'), 'mine');
  assert.ok(!existsSync(join(cwd, 'out')));
});
