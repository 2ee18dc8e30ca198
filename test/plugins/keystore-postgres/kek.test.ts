/**
 * The key-encryption key of the `postgres` key store (on SQLite here: the sealing is the same on both databases):
 * rows hold no private key in the clear, a server without the right KEK refuses to start naming the variable, and a
 * KEK is replaced through AUTHPLANE_KEYSTORE_POSTGRES_KEK_PREVIOUS and `admin key reseal`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keystorePostgres } from 'authplane/plugins';
import { freshKek } from '../../helpers/replicas.js';
import { runCli, startServer, tempDir } from '../../helpers/server.js';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { join } from 'node:path';

const start = (t: Parameters<typeof startServer>[0], dir: string, env: NodeJS.ProcessEnv) =>
  startServer(t, { dir, env, plugins: [keystorePostgres()], config: { signing: { keyStore: 'postgres' } } });

test('keys are sealed at rest; a missing or unknown KEK stops boot with a code naming the variable', async (t) => {
  const dir = tempDir(t);
  const kek = freshKek();
  const first = await start(t, dir, { AUTHPLANE_KEYSTORE_POSTGRES_KEK: kek });
  const [row] = await first.server.db('signing_keys').select();
  assert.equal(row.kid, first.server.keys.currentKid);
  assert.ok(!/"d"|"kty"/.test(row.sealed_key), 'the private JWK is not stored in the clear');
  const jwk = JSON.parse((await (await fetch(`${first.url}/.well-known/jwks.json`)).text())).keys[0];
  assert.ok(!row.sealed_key.includes(jwk.x), 'not even its public part');
  await first.stop();

  await assert.rejects(start(t, dir, {}), (err: Error & { code?: string }) => err.code === 'AP_ERR_KEYSTORE_POSTGRES_KEK_MISSING' && err.message.includes('AUTHPLANE_KEYSTORE_POSTGRES_KEK'));
  await assert.rejects(start(t, dir, { AUTHPLANE_KEYSTORE_POSTGRES_KEK: 'c2hvcnQ=' }), (err: Error & { code?: string }) => err.code === 'AP_ERR_KEYSTORE_POSTGRES_KEK_INVALID');
  await assert.rejects(
    start(t, dir, { AUTHPLANE_KEYSTORE_POSTGRES_KEK: freshKek() }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_KEYSTORE_POSTGRES_KEK_UNKNOWN' && err.message.includes('AUTHPLANE_KEYSTORE_POSTGRES_KEK_PREVIOUS') && !err.message.includes(kek),
  );
});

test('a KEK is replaced with the old one in _PREVIOUS, then `admin key reseal` moves every key under the new one', async (t) => {
  const dir = repoTempDir(t, 'kek-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyStore: 'postgres' } },
    imports: ["import { keystorePostgres } from 'authplane/plugins';"],
    plugins: ['keystorePostgres()'],
  });
  const oldKek = freshKek();
  const newKek = freshKek();
  const rotated = await runCli(['admin', 'key', 'rotate', '--config', config], { cwd: dir, env: { AUTHPLANE_KEYSTORE_POSTGRES_KEK: oldKek } });
  assert.equal(rotated.code, 0, rotated.stderr);
  const replaced = { AUTHPLANE_KEYSTORE_POSTGRES_KEK: newKek, AUTHPLANE_KEYSTORE_POSTGRES_KEK_PREVIOUS: oldKek };
  const resealed = await runCli(['admin', 'key', 'reseal', '--config', config], { cwd: dir, env: replaced });
  assert.equal(resealed.code, 0, resealed.stderr);
  assert.match(resealed.stdout, /^2 signing key\(s\) re-sealed/m, 'the first key and the rotated one');
  const again = await runCli(['admin', 'key', 'reseal', '--config', config], { cwd: dir, env: replaced });
  assert.match(again.stdout, /^0 signing key\(s\) re-sealed/m);
  const onlyNew = await runCli(['admin', 'key', 'list', '--config', config], { cwd: dir, env: { AUTHPLANE_KEYSTORE_POSTGRES_KEK: newKek } });
  assert.equal(onlyNew.code, 0, `the old KEK is no longer needed: ${onlyNew.stderr}`);
  const onlyOld = await runCli(['admin', 'key', 'list', '--config', config], { cwd: dir, env: { AUTHPLANE_KEYSTORE_POSTGRES_KEK: oldKek } });
  assert.notEqual(onlyOld.code, 0);
  assert.match(onlyOld.stderr, /sealed with a key-encryption key this server does not have/);
});
