import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { freePort, REPO_ROOT, spawnServe, tempDir } from '../helpers/server.js';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

async function assertHealthy(url: string): Promise<void> {
  const response = await fetch(`${url}/health`);
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(Object.keys(body).sort(), ['db', 'status', 'time']);
  assert.equal(body.status, 'ok');
  assert.equal(body.db, 'ok');
  assert.match(body.time, RFC3339_UTC);
  assert.ok(Math.abs(Date.parse(body.time) - Date.now()) < 60_000, 'time is the current time');
}

function assertKeyFiles(keyDir: string): string[] {
  const files = readdirSync(keyDir).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1, 'one signing key generated on first start');
  for (const file of files) assert.equal(statSync(join(keyDir, file)).mode & 0o777, 0o600, `${file} is mode 0600`);
  assert.equal(statSync(keyDir).mode & 0o077, 0, 'the key directory is private to its owner');
  return files;
}

test('the example config boots with --config: /health is ok and a 0600 signing key is generated', async (t) => {
  // The repository's own authplane.config.ts, unchanged; its relative data paths land in the temp cwd.
  const cwd = tempDir(t);
  const server = await spawnServe(t, { cwd, args: ['--config', join(REPO_ROOT, 'authplane.config.ts')] });
  await assertHealthy(server.url);
  assert.ok(existsSync(join(cwd, 'data/authserver.db')), 'SQLite database created at storage.sqlite.path');
  const [file] = assertKeyFiles(join(cwd, 'data/keys'));
  const jwks = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();
  assert.deepEqual(
    jwks.keys.map((k: { kid: string }) => `${k.kid}.json`),
    [file],
    'the JWKS publishes the generated key',
  );
  const listening = JSON.parse(server.output().split('\n').find((line) => line.includes('"msg":"listening"'))!);
  assert.equal(listening.storage, 'sqlite');
  for (const plugin of ['storage-sqlite', 'keystore-keyfile', 'audit-db']) assert.ok(listening.plugins.includes(plugin), plugin);
});

test('the example config advertises the port AUTHPLANE_SERVER_ADDRESS names, with no warning about the issuer', async (t) => {
  const cwd = tempDir(t);
  const port = await freePort();
  const server = await spawnServe(t, {
    cwd,
    args: ['--config', join(REPO_ROOT, 'authplane.config.ts')],
    env: { AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}` },
  });
  const metadata = await (await fetch(`http://127.0.0.1:${port}/.well-known/oauth-authorization-server`)).json();
  assert.equal(metadata.issuer, `http://localhost:${port}`);
  assert.equal(metadata.token_endpoint, `http://localhost:${port}/oauth/token`);
  assert.doesNotMatch(server.output(), /server\.issuer .* is on port/);
});

test('a copy of the example config is found as ./authplane.config.ts without --config', async (t) => {
  const cwd = repoTempDir(t, 'boot-');
  copyFileSync(join(REPO_ROOT, 'authplane.config.ts'), join(cwd, 'authplane.config.ts'));
  const server = await spawnServe(t, {
    cwd,
    env: {
      AUTHPLANE_STORAGE_SQLITE_PATH: join(cwd, 'elsewhere/auth.db'),
      AUTHPLANE_SIGNING_KEY_PATH: join(cwd, 'elsewhere/keys'),
      AUTHPLANE_BROKER_ENCRYPTION_DEV_KEY_FILE: join(cwd, 'elsewhere/broker/master.key'),
    },
  });
  await assertHealthy(server.url);
  assert.ok(existsSync(join(cwd, 'elsewhere/auth.db')));
  assert.ok(existsSync(join(cwd, 'elsewhere/broker/master.key')), "the broker's development master key");
  assert.ok(!existsSync(join(cwd, 'data')), 'the environment moved storage and keys away from the file defaults');
  assertKeyFiles(join(cwd, 'elsewhere/keys'));
});

test('the fixture plugin loads from a config file like a built-in plugin', async (t) => {
  const cwd = repoTempDir(t, 'boot-');
  const config = writeConfigFile(cwd, {
    settings: { storage: { sqlite: { path: join(cwd, 'auth.db') } }, signing: { keyPath: join(cwd, 'keys') } },
    imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
    plugins: ["helloPlugin({ greeting: 'from the config file' })"],
  });
  const server = await spawnServe(t, { cwd, args: ['--config', config] });
  const hello = await fetch(`${server.url}/hello`);
  assert.equal(hello.status, 200);
  assert.deepEqual(await hello.json(), { greeting: 'from the config file' });
  const discovery = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(discovery.hello_supported, true);
  assert.match(server.output(), /"applied":\[[^\]]*"hello-plugin\/0001_hello_rows"/, 'serve migrated the plugin table');
});
