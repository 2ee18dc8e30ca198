/**
 * SIGHUP makes `authserver serve` re-read its key store. The store here cannot tell the server about a change (the
 * `postgres` key store on SQLite has no channel) and the periodic re-read is an hour away, so a key rotated by
 * another process (`authserver admin key rotate`) is published only because of the signal.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { freshKek } from '../../helpers/replicas.js';
import { ADMIN_KEY, runCli, spawnServe } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';

test('SIGHUP reloads the signing keys: a key rotated by the CLI is published and signs after the signal', async (t) => {
  const dir = repoTempDir(t, 'sighup-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyStore: 'postgres', reloadInterval: 3600 } },
    imports: ["import { keystorePostgres } from 'authplane/plugins';"],
    plugins: ['keystorePostgres()'],
  });
  const env = { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY, AUTHPLANE_KEYSTORE_POSTGRES_KEK: freshKek() };
  const serve = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const kids = async () => ((await (await fetch(`${serve.url}/.well-known/jwks.json`)).json()).keys as { kid: string }[]).map((k) => k.kid);
  const before = await kids();
  assert.equal(before.length, 1);

  const rotated = await runCli(['admin', 'key', 'rotate', '--json', '--config', config], { cwd: dir, env });
  assert.equal(rotated.code, 0, rotated.stderr);
  const { kid } = JSON.parse(rotated.stdout) as { kid: string };
  assert.ok(!(await kids()).includes(kid), 'without a signal the running server has not seen the new key');

  serve.child.kill('SIGHUP');
  await waitFor('the server to publish the key after SIGHUP', async () => (await kids()).includes(kid));
  const status = await (await fetch(`${serve.adminUrl}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json();
  assert.equal(status.keys.find((k: { status: string }) => k.status === 'current').kid, kid, 'the new key signs');
  serve.child.kill('SIGTERM');
  assert.equal(await serve.exited, 0);
});
