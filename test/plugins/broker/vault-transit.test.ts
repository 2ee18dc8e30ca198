/**
 * The Vault Transit backend against a loopback server speaking Transit's HTTP API (test/helpers/vault-transit.ts):
 * round trip, the row binding as associated_data, rotation, and the failures an operator meets (a bad token, Vault
 * down or silent, a redirect, a missing key) — each a clear error that never carries the token.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { PluginError } from 'authplane';
import { createSecretBox } from '../../../plugins/broker/crypto/create-box.js';
import { grantAad, openGrant, openGrantTokens, sealGrant, sealGrantTokens } from '../../../plugins/broker/crypto/grant-seal.js';
import { BrokerKeyError } from '../../../plugins/broker/crypto/local-box.js';
import { startFakeVault, type FakeVault } from '../../helpers/vault-transit.js';
import type { EncryptionOptions } from '../../../plugins/broker/crypto/schema.js';
import { encryptionOptions, newMasterKey, recordingLog } from './crypto-setup.js';

const ISSUER = 'https://auth.example.com';
const alice = { user_id: 'user-alice', provider_id: 'provider-github' };
const TOKENS = { access_token: 'gho_vault_access', token_type: 'bearer', refresh_token: 'ghr_vault_refresh', scopes: ['repo'] };

function vaultOptions(vault: FakeVault, overrides: Partial<EncryptionOptions['vault']> = {}) {
  return encryptionOptions({ backend: 'vault-transit', vault: { address: vault.url, keyName: 'broker', ...overrides } });
}

const tokenEnv = (vault: FakeVault) => ({ AUTHPLANE_BROKER_VAULT_TOKEN: vault.token });

/** An address nothing listens on: a port that was just free. */
async function closedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

test('the Vault Transit box round-trips a grant, bound to its row through associated_data, with the token in X-Vault-Token', async (t) => {
  const vault = await startFakeVault(t);
  vault.createKey('broker');
  const log = recordingLog();
  const box = await createSecretBox(vaultOptions(vault), tokenEnv(vault), { issuer: ISSUER, log });
  assert.equal(box.currentKeyId, 'vault:broker:v1');
  assert.deepEqual(box.describe(), {
    backend: 'vault-transit',
    current_key_id: 'vault:broker:v1',
    decrypt_only_key_ids: [],
    vault: { address: vault.url, mount: 'transit', key_name: 'broker' },
  });

  const first = await sealGrantTokens(box, alice, TOKENS);
  const second = await sealGrantTokens(box, alice, TOKENS);
  assert.equal(first.keyId, 'vault:broker:v1');
  assert.match(first.ciphertext, /^vault:v1:[A-Za-z0-9+/]+=*$/);
  assert.notEqual(first.ciphertext, second.ciphertext);
  assert.ok(!first.ciphertext.includes(TOKENS.refresh_token) && !first.ciphertext.includes(Buffer.from(JSON.stringify(TOKENS)).toString('base64').slice(0, 20)));
  assert.deepEqual(await openGrantTokens(box, { ...alice, key_id: first.keyId, ciphertext: first.ciphertext }), TOKENS);

  const encrypts = vault.requests.filter((r) => r.path === '/v1/transit/encrypt/broker');
  assert.ok(encrypts.length >= 3, 'the boot probe and the two seals');
  for (const request of vault.requests) assert.equal(request.token, vault.token);
  const sent = Buffer.from(String(encrypts.at(-1)!.body.associated_data), 'base64').toString('utf8');
  assert.equal(sent, `authplane-broker-v1\u0000broker_grant\u0000${grantAad(alice)}`);

  // Moved to another row, the ciphertext no longer authenticates in Vault.
  await assert.rejects(openGrant(box, { user_id: 'user-mallory', provider_id: alice.provider_id, key_id: first.keyId, ciphertext: first.ciphertext }), (err: Error) => {
    assert.ok(err instanceof BrokerKeyError);
    assert.match(err.message, /under key vault:broker:v1 failed to decrypt in Vault: cipher: message authentication failed/);
    return true;
  });
  // A key id that is not this Transit key's, or that disagrees with the ciphertext's version, is refused before Vault.
  const asked = vault.requests.length;
  await assert.rejects(openGrant(box, { ...alice, key_id: 'vault:other:v1', ciphertext: first.ciphertext }), /not a version of the Vault Transit key broker/);
  await assert.rejects(openGrant(box, { ...alice, key_id: 'vault:broker:v2', ciphertext: first.ciphertext }), /is not a Vault ciphertext of that version/);
  assert.equal(vault.requests.length, asked);
  assert.ok(!JSON.stringify(log.lines).includes(vault.token));
});

test('after a rotation in Vault new grants go under the new version, older ones still decrypt, and a retired version fails by name', async (t) => {
  const vault = await startFakeVault(t, { mount: 'secrets/transit' });
  vault.createKey('broker');
  const box = await createSecretBox(vaultOptions(vault, { mount: 'secrets/transit' }), tokenEnv(vault), { issuer: ISSUER, log: recordingLog() });
  const v1 = await sealGrant(box, alice, 'under v1');
  assert.equal(vault.rotate('broker'), 2);
  const v2 = await sealGrant(box, alice, 'under v2');
  assert.equal(v2.keyId, 'vault:broker:v2');
  assert.equal(box.currentKeyId, 'vault:broker:v2', 'the current key follows what Vault encrypts with');
  assert.equal(await openGrant(box, { ...alice, key_id: v1.keyId, ciphertext: v1.ciphertext }), 'under v1');
  assert.equal(await openGrant(box, { ...alice, key_id: v2.keyId, ciphertext: v2.ciphertext }), 'under v2');

  // The operator retires v1 in Vault (min_decryption_version = 2): its rows fail by key id, as a per-row error.
  const config = await fetch(`${vault.url}/v1/secrets/transit/keys/broker/config`, {
    method: 'POST',
    headers: { 'X-Vault-Token': vault.token },
    body: JSON.stringify({ min_decryption_version: 2 }),
  });
  assert.equal(config.status, 200);
  await assert.rejects(openGrant(box, { ...alice, key_id: v1.keyId, ciphertext: v1.ciphertext }), (err: Error) => {
    assert.ok(err instanceof BrokerKeyError);
    assert.match(err.message, /under key vault:broker:v1 failed to decrypt in Vault: ciphertext or signature version is disallowed by policy \(too old\)/);
    return true;
  });
});

test('a token Vault refuses stops boot with VAULT_DENIED naming the variable, never the token', async (t) => {
  const vault = await startFakeVault(t);
  vault.createKey('broker');
  const wrong = 'hvs.the-wrong-token-0123456789';
  await assert.rejects(
    createSecretBox(vaultOptions(vault, { tokenEnv: 'VAULT_TOKEN' }), { VAULT_TOKEN: wrong }, { issuer: ISSUER, log: recordingLog() }),
    (err: PluginError) => {
      assert.equal(err.code, 'AP_ERR_BROKER_VAULT_DENIED');
      assert.match(err.message, new RegExp(`^Vault at ${vault.url} refused the token from VAULT_TOKEN for encrypt with key broker \\(403: permission denied\\); it needs update on transit/encrypt/broker and transit/decrypt/broker$`));
      assert.ok(!err.message.includes(wrong) && !String(err.stack).includes(wrong));
      return true;
    },
  );
  assert.equal(vault.requests.at(-1)!.token, wrong, 'the token was sent, in its header');
  await assert.rejects(createSecretBox(vaultOptions(vault), {}, { issuer: ISSUER, log: recordingLog() }), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_BROKER_VAULT_TOKEN_MISSING');
    assert.match(err.message, /^AUTHPLANE_BROKER_VAULT_TOKEN is not set/);
    return true;
  });
});

test('Vault down, or silent past the timeout, is VAULT_UNREACHABLE naming the address', async (t) => {
  const address = await closedAddress();
  await assert.rejects(
    createSecretBox(encryptionOptions({ backend: 'vault-transit', vault: { address, keyName: 'broker' } }), { AUTHPLANE_BROKER_VAULT_TOKEN: 'hvs.x' }, { issuer: ISSUER, log: recordingLog() }),
    (err: PluginError) => {
      assert.equal(err.code, 'AP_ERR_BROKER_VAULT_UNREACHABLE');
      assert.match(err.message, new RegExp(`^Vault at ${address} is unreachable \\(encrypt with key broker\\): connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`));
      return true;
    },
  );

  const vault = await startFakeVault(t);
  vault.createKey('broker');
  const box = await createSecretBox(vaultOptions(vault, { timeoutMs: 300 }), tokenEnv(vault), { issuer: ISSUER, log: recordingLog() });
  const sealed = await sealGrant(box, alice, 'before the outage');
  vault.mode = 'hang';
  await assert.rejects(openGrant(box, { ...alice, key_id: sealed.keyId, ciphertext: sealed.ciphertext }), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_BROKER_VAULT_UNREACHABLE');
    assert.match(err.message, /is unreachable \(decrypt with key broker\): no answer within 300 ms$/);
    assert.ok(!(err instanceof BrokerKeyError), 'an outage is not a per-row failure');
    return true;
  });
  await vault.stop();
  // Refused, or a pooled connection found closed: either way Vault is unreachable, said as such.
  await assert.rejects(sealGrant(box, alice, 'during the outage'), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_BROKER_VAULT_UNREACHABLE');
    assert.match(err.message, /is unreachable \(encrypt with key broker\): /);
    return true;
  });
});

test('a redirect from Vault is not followed, so the token never leaves for another address', async (t) => {
  const elsewhere = await startFakeVault(t, { token: 'hvs.elsewhere' });
  const vault = await startFakeVault(t);
  vault.createKey('broker');
  vault.mode = 'redirect';
  vault.redirectTo = elsewhere.url;
  await assert.rejects(createSecretBox(vaultOptions(vault), tokenEnv(vault), { issuer: ISSUER, log: recordingLog() }), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_BROKER_VAULT_REQUEST_FAILED');
    assert.match(err.message, new RegExp(`answered encrypt with key broker with a redirect \\(307 to ${elsewhere.url}/v1/transit/encrypt/broker\\), which is not followed`));
    return true;
  });
  assert.deepEqual(elsewhere.requests, []);
});

test('a missing Transit key or a malformed address stops boot with what Vault or the setting said', async (t) => {
  const vault = await startFakeVault(t);
  await assert.rejects(createSecretBox(vaultOptions(vault, { keyName: 'absent' }), tokenEnv(vault), { issuer: ISSUER, log: recordingLog() }), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_BROKER_VAULT_REQUEST_FAILED');
    assert.equal(err.message, `Vault at ${vault.url} refused encrypt with key absent (400: encryption key not found)`);
    return true;
  });
  for (const address of ['', 'vault.internal:8200', 'ftp://vault.internal', 'https://user:pass@vault.internal']) {
    await assert.rejects(
      createSecretBox(encryptionOptions({ backend: 'vault-transit', vault: { address } }), tokenEnv(vault), { issuer: ISSUER, log: recordingLog() }),
      (err: PluginError) => {
        assert.equal(err.code, 'AP_ERR_BROKER_VAULT_CONFIG_INVALID', address);
        assert.match(err.message, /broker\.encryption\.vault\.address must be Vault's http\(s\) base URL/);
        assert.ok(!err.message.includes('pass'), 'credentials in a URL are not repeated');
        return true;
      },
    );
  }
});

test('with the Vault backend, rows sealed under the local master keys before the move still decrypt', async (t) => {
  const vault = await startFakeVault(t);
  vault.createKey('broker');
  const masterKey = newMasterKey();
  const local = await createSecretBox(encryptionOptions(), { AUTHPLANE_BROKER_MASTER_KEY: masterKey }, { issuer: ISSUER, log: recordingLog() });
  const before = await sealGrant(local, alice, 'sealed locally');

  const box = await createSecretBox(vaultOptions(vault), { ...tokenEnv(vault), AUTHPLANE_BROKER_MASTER_KEY: masterKey }, { issuer: ISSUER, log: recordingLog() });
  assert.deepEqual(box.describe().decrypt_only_key_ids, [local.currentKeyId]);
  assert.equal(await openGrant(box, { ...alice, key_id: before.keyId, ciphertext: before.ciphertext }), 'sealed locally');
  assert.equal((await sealGrant(box, alice, 'new')).keyId, 'vault:broker:v1', 'new rows go to Vault');
  const withoutKey = await createSecretBox(vaultOptions(vault), tokenEnv(vault), { issuer: ISSUER, log: recordingLog() });
  await assert.rejects(openGrant(withoutKey, { ...alice, key_id: before.keyId, ciphertext: before.ciphertext }), new RegExp(`made with key ${before.keyId}, which is not a version of the Vault Transit key broker`));
});
