/**
 * Encryption at rest with the local backend: AES-256-GCM under HKDF per-purpose keys from a master key in the
 * environment, bound to its row; the boot rules for a missing or malformed key; the development key file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PluginError } from 'authplane';
import { createSecretBox } from '../../../plugins/broker/crypto/create-box.js';
import { isLoopbackIssuer } from '../../../plugins/broker/crypto/dev-key-file.js';
import { GRANT_PURPOSE, grantAad, openGrant, openGrantTokens, sealGrant, sealGrantTokens } from '../../../plugins/broker/crypto/grant-seal.js';
import { BrokerKeyError, LocalSecretBox, masterKeyId, parseMasterKey } from '../../../plugins/broker/crypto/local-box.js';
import { brokerCryptoProbe } from '../../fixtures/plugins/broker-crypto-probe.js';
import { startServer, tempDir } from '../../helpers/server.js';
import { encryptionOptions, newMasterKey, recordingLog } from './crypto-setup.js';

const PUBLIC_ISSUER = 'https://auth.example.com';
const TOKENS = { access_token: 'gho_access_0123456789', token_type: 'bearer', refresh_token: 'ghr_refresh_9876543210', scopes: ['repo'] };
const alice = { user_id: 'user-alice', provider_id: 'provider-github' };

test('a grant sealed by the local box opens again, and its ciphertext is neither the plaintext nor the same twice', async () => {
  const box = new LocalSecretBox(randomBytes(32));
  const first = await sealGrantTokens(box, alice, TOKENS);
  const second = await sealGrantTokens(box, alice, TOKENS);
  assert.equal(first.keyId, box.currentKeyId);
  assert.match(first.keyId, /^local:[A-Za-z0-9_-]{16}$/);
  assert.notEqual(first.ciphertext, second.ciphertext, 'a fresh IV each time');
  for (const secret of [TOKENS.access_token, TOKENS.refresh_token, Buffer.from(TOKENS.access_token).toString('base64url')]) {
    assert.ok(!first.ciphertext.includes(secret), `the ciphertext does not carry ${secret}`);
  }
  assert.deepEqual(await openGrantTokens(box, { ...alice, key_id: first.keyId, ciphertext: first.ciphertext }), TOKENS);
  assert.deepEqual(await openGrantTokens(box, { ...alice, key_id: second.keyId, ciphertext: second.ciphertext }), TOKENS);
});

test('a ciphertext moved to another grant row, or opened for another purpose, does not decrypt', async () => {
  const box = new LocalSecretBox(randomBytes(32));
  const sealed = await sealGrant(box, alice, 'alice tokens');
  for (const other of [
    { user_id: 'user-mallory', provider_id: alice.provider_id },
    { user_id: alice.user_id, provider_id: 'provider-google' },
  ]) {
    await assert.rejects(openGrant(box, { ...other, key_id: sealed.keyId, ciphertext: sealed.ciphertext }), (err: Error) => {
      assert.ok(err instanceof BrokerKeyError);
      assert.match(err.message, new RegExp(`under key ${sealed.keyId} failed to authenticate`));
      return true;
    });
  }
  await assert.rejects(box.decrypt('another_purpose', sealed, grantAad(alice)), BrokerKeyError);
  assert.equal(await box.decrypt(GRANT_PURPOSE, sealed, grantAad(alice)), 'alice tokens');
  // One altered byte in the middle of the ciphertext fails the tag.
  const raw = Buffer.from(sealed.ciphertext, 'base64url');
  raw[20] = raw[20]! ^ 1;
  await assert.rejects(openGrant(box, { ...alice, key_id: sealed.keyId, ciphertext: raw.toString('base64url') }), BrokerKeyError);
});

test('a wrong master key fails loudly, naming the key id the row was made with', async () => {
  const right = new LocalSecretBox(randomBytes(32));
  const wrong = new LocalSecretBox(randomBytes(32));
  const sealed = await sealGrant(right, alice, 'alice tokens');
  await assert.rejects(openGrant(wrong, { ...alice, key_id: sealed.keyId, ciphertext: sealed.ciphertext }), (err: Error) => {
    assert.ok(err instanceof BrokerKeyError);
    assert.match(err.message, new RegExp(`made with key ${sealed.keyId}, which none of the configured master keys is`));
    return true;
  });
  // A row relabelled with the wrong box's key id still fails: the tag does not verify under other key material.
  await assert.rejects(openGrant(wrong, { ...alice, key_id: wrong.currentKeyId, ciphertext: sealed.ciphertext }), /failed to authenticate: wrong master key/);
});

test('master keys are read as base64 or hex, and the key id is a digest that does not reveal the key', () => {
  const key = randomBytes(32);
  assert.deepEqual(parseMasterKey(key.toString('base64'), 'X'), key);
  assert.deepEqual(parseMasterKey(`${key.toString('hex')}\n`, 'X'), key);
  assert.deepEqual(parseMasterKey(key.toString('base64url'), 'X'), key);
  assert.throws(() => parseMasterKey('too short', 'MY_KEY'), /MY_KEY must hold a 32-byte key/);
  const id = masterKeyId(key);
  assert.ok(!id.includes(key.toString('base64url').slice(0, 8)) && !id.includes(key.toString('hex').slice(0, 8)));
  assert.equal(masterKeyId(Buffer.from(key)), id, 'the same key, the same id');
});

test('the current key encrypts and previous keys only decrypt, so rows from before a rotation stay readable', async () => {
  const oldKey = newMasterKey();
  const newKey = newMasterKey();
  const log = recordingLog();
  const before = await createSecretBox(encryptionOptions(), { AUTHPLANE_BROKER_MASTER_KEY: oldKey }, { issuer: PUBLIC_ISSUER, log });
  const oldRow = await sealGrant(before, alice, 'sealed before the rotation');

  const during = await createSecretBox(
    encryptionOptions(),
    { AUTHPLANE_BROKER_MASTER_KEY: newKey, AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS: oldKey },
    { issuer: PUBLIC_ISSUER, log },
  );
  assert.notEqual(during.currentKeyId, before.currentKeyId);
  assert.deepEqual(during.describe(), { backend: 'local', current_key_id: during.currentKeyId, decrypt_only_key_ids: [before.currentKeyId] });
  assert.equal(await openGrant(during, { ...alice, key_id: oldRow.keyId, ciphertext: oldRow.ciphertext }), 'sealed before the rotation');
  assert.equal((await sealGrant(during, alice, 'new')).keyId, during.currentKeyId, 'new rows go under the current key');

  // Custom variable names, several previous keys, and an unset one skipped.
  const third = newMasterKey();
  const custom = await createSecretBox(
    encryptionOptions({ masterKeyEnv: 'KMS_BROKER_KEY', previousMasterKeyEnvs: ['KMS_OLD_1', 'KMS_OLD_2', 'KMS_UNSET'] }),
    { KMS_BROKER_KEY: third, KMS_OLD_1: newKey, KMS_OLD_2: oldKey },
    { issuer: PUBLIC_ISSUER, log },
  );
  assert.equal(custom.describe().decrypt_only_key_ids.length, 2);
  assert.equal(await openGrant(custom, { ...alice, key_id: oldRow.keyId, ciphertext: oldRow.ciphertext }), 'sealed before the rotation');

  const info = log.lines.find((l) => l.message === 'broker encryption ready');
  assert.ok(info, 'the boot line names the key ids');
  const logged = JSON.stringify(log.lines);
  for (const key of [oldKey, newKey, third]) assert.ok(!logged.includes(key), 'no key material is logged');
});

test('a public issuer without the master key refuses to start, naming the variable and how to make a key', async () => {
  const log = recordingLog();
  await assert.rejects(createSecretBox(encryptionOptions(), {}, { issuer: PUBLIC_ISSUER, log }), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_BROKER_MASTER_KEY_MISSING');
    assert.match(err.message, /^AUTHPLANE_BROKER_MASTER_KEY is not set: .*openssl rand -base64 32/);
    return true;
  });
  await assert.rejects(
    createSecretBox(encryptionOptions({ masterKeyEnv: 'MY_BROKER_KEY' }), { AUTHPLANE_BROKER_MASTER_KEY: newMasterKey(), MY_BROKER_KEY: '  ' }, { issuer: PUBLIC_ISSUER, log }),
    (err: PluginError) => {
      // The configured name is the one read (and a blank value is no key): the default variable does not stand in.
      assert.equal(err.code, 'AP_ERR_BROKER_MASTER_KEY_MISSING');
      assert.match(err.message, /^MY_BROKER_KEY is not set/);
      return true;
    },
  );
});

test('a malformed current or previous master key refuses to start, naming the variable', async () => {
  const log = recordingLog();
  const cases: [Record<string, string>, RegExp][] = [
    [{ AUTHPLANE_BROKER_MASTER_KEY: 'hunter2' }, /AUTHPLANE_BROKER_MASTER_KEY must hold a 32-byte key .* got 5 bytes; make one with `openssl rand -base64 32`/],
    [{ AUTHPLANE_BROKER_MASTER_KEY: newMasterKey(), AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS: randomBytes(16).toString('base64') }, /AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS must hold a 32-byte key .* got 16 bytes/],
  ];
  for (const [env, message] of cases) {
    // On a loopback issuer too: a key that is set but wrong is never replaced by the development key.
    for (const issuer of [PUBLIC_ISSUER, 'http://localhost:9000']) {
      await assert.rejects(createSecretBox(encryptionOptions(), env, { issuer, log }), (err: PluginError) => {
        assert.equal(err.code, 'AP_ERR_BROKER_MASTER_KEY_INVALID');
        assert.match(err.message, message);
        assert.ok(!err.message.includes(env.AUTHPLANE_BROKER_MASTER_KEY!), 'the value itself is not repeated');
        return true;
      });
    }
  }
});

test('on a loopback issuer without a key, a development key is generated once into a 0600 file in a 0700 folder, with a warning', async (t) => {
  const dir = tempDir(t);
  const devKeyFile = join(dir, 'data', 'broker', 'master.key');
  const log = recordingLog();
  const first = await createSecretBox(encryptionOptions({ devKeyFile }), {}, { issuer: 'http://localhost:9000', log });
  assert.equal(statSync(devKeyFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'data', 'broker')).mode & 0o777, 0o700);
  assert.equal(first.currentKeyId, masterKeyId(parseMasterKey(readFileSync(devKeyFile, 'utf8'), 'file')));
  assert.deepEqual(first.describe().dev_key_file, devKeyFile);
  const warning = log.lines.find((l) => l.level === 'warn');
  assert.match(warning!.message, /AUTHPLANE_BROKER_MASTER_KEY is not set: upstream grants are encrypted under the development key in .*master\.key \(generated now\); set AUTHPLANE_BROKER_MASTER_KEY for anything but local development/);
  const sealed = await sealGrant(first, alice, 'survives a restart');

  // A restart reuses the file: what was sealed before opens.
  const again = await createSecretBox(encryptionOptions({ devKeyFile }), {}, { issuer: 'http://127.0.0.1:9000', log });
  assert.equal(again.currentKeyId, first.currentKeyId);
  assert.equal(await openGrant(again, { ...alice, key_id: sealed.keyId, ciphertext: sealed.ciphertext }), 'survives a restart');
  assert.match(log.lines.filter((l) => l.level === 'warn')[1]!.message, /development key in .*master\.key; set/);

  // A file that holds no key is an error naming the file, never silently replaced (that would lose every grant).
  const broken = join(dir, 'broken.key');
  writeFileSync(broken, 'not a key\n', { mode: 0o600 });
  await assert.rejects(createSecretBox(encryptionOptions({ devKeyFile: broken }), {}, { issuer: 'http://localhost:9000', log }), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_BROKER_MASTER_KEY_INVALID');
    assert.match(err.message, /the development master key file .*broken\.key must hold a 32-byte key/);
    return true;
  });
  assert.equal(readFileSync(broken, 'utf8'), 'not a key\n');

  for (const issuer of ['http://[::1]:9000', 'http://auth.localhost:9000']) assert.ok(isLoopbackIssuer(issuer), issuer);
  for (const issuer of ['https://auth.example.com', 'http://10.0.0.5:9000', 'http://localhost.example.com', 'not a url']) {
    assert.ok(!isLoopbackIssuer(issuer), issuer);
  }
});

test('the server boots with the broker box on a loopback issuer and refuses to on a public one without a key', async (t) => {
  const dir = tempDir(t);
  const devKeyFile = join(dir, 'dev', 'master.key');
  const srv = await startServer(t, { plugins: [brokerCryptoProbe({ encryption: { devKeyFile } })] });
  const ready = srv.logs.find((l) => l.msg === 'broker encryption ready');
  assert.equal(ready?.backend, 'local');
  assert.equal(ready?.dev_key_file, devKeyFile);
  assert.ok(srv.logs.some((l) => l.level === 'warn' && String(l.msg).startsWith('AUTHPLANE_BROKER_MASTER_KEY is not set')));
  await srv.stop();

  await assert.rejects(
    startServer(t, { plugins: [brokerCryptoProbe()], config: { server: { issuer: PUBLIC_ISSUER } } }),
    (err: PluginError) => {
      assert.equal(err.code, 'AP_ERR_BROKER_MASTER_KEY_MISSING');
      return true;
    },
  );
  const key = newMasterKey();
  const keyed = await startServer(t, {
    plugins: [brokerCryptoProbe()],
    config: { server: { issuer: PUBLIC_ISSUER } },
    env: { AUTHPLANE_BROKER_MASTER_KEY: key },
  });
  assert.equal(keyed.logs.find((l) => l.msg === 'broker encryption ready')?.current_key_id, masterKeyId(parseMasterKey(key, 'k')));
  assert.ok(!JSON.stringify(keyed.logs).includes(key));
});
