import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { ADMIN_KEY, spawnServe } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

test('AUTHPLANE_* variables beat the config file, which beats the built-in defaults', async (t) => {
  const dir = repoTempDir(t, 'layers-');
  const config = writeConfigFile(dir, {
    settings: {
      server: { issuer: 'http://localhost:9000', allowedOrigins: ['https://file.example'] },
      storage: { sqlite: { path: join(dir, 'auth.db') } },
      signing: { keyPath: join(dir, 'keys') },
      tokens: { accessTokenTtl: 600 },
      // With 'warn' from the file the server would never log `listening`, so spawnServe would time out.
      log: { level: 'warn' },
    },
    imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
    plugins: ["helloPlugin({ greeting: 'from the file' })"],
  });
  const server = await spawnServe(t, {
    cwd: dir,
    args: ['--config', config],
    env: {
      AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY,
      AUTHPLANE_SERVER_ISSUER: 'http://127.0.0.1:7777/from-env',
      AUTHPLANE_LOG_LEVEL: 'info',
      AUTHPLANE_SERVER_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      AUTHPLANE_HELLO_PLUGIN_GREETING: 'from the environment',
    },
  });

  const discovery = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json();
  assert.equal(discovery.issuer, 'http://127.0.0.1:7777/from-env');

  const effective = await (
    await fetch(`${server.adminUrl}/admin/system/config`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  ).json();
  assert.equal(effective.server.issuer, 'http://127.0.0.1:7777/from-env', 'env over file');
  assert.equal(effective.log.level, 'info', 'env over file');
  assert.deepEqual(effective.server.allowedOrigins, ['https://a.example', 'https://b.example'], 'a comma list in the env is an array');
  assert.equal(effective.tokens.accessTokenTtl, 600, 'file over default (900)');
  assert.equal(effective.shutdown.timeout, 10, 'default where nobody set a value');
  assert.equal(effective.helloPlugin.greeting, 'from the environment', 'plugin options follow the same layering');
  assert.deepEqual(await (await fetch(`${server.url}/hello`)).json(), { greeting: 'from the environment' });
  // Logs are written asynchronously: wait for the access-log line to reach the pipe.
  await waitFor('an info-level access-log line from the child (the env log level took effect)', () => /"level":"info".*"msg":"request"/.test(server.output()), {
    lastSeen: () => server.output(),
  });
});

test('an AUTHPLANE_* variable nothing reads is reported as a warning', async (t) => {
  const dir = repoTempDir(t, 'layers-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') } },
  });
  const server = await spawnServe(t, { cwd: dir, args: ['--config', config], env: { AUTHPLANE_SERVER_ISSUR: 'http://localhost:1' } });
  assert.match(server.output(), /AUTHPLANE_SERVER_ISSUR is set but no enabled option reads it/);
  const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
  assert.equal(discovery.issuer, 'http://localhost:9000', 'the misspelt variable changed nothing');
});
