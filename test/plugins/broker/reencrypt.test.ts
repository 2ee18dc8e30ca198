/**
 * Key rotation end to end on a migrated database (SQLite file and PostgreSQL): rows under the old master key stay
 * readable while it is listed as previous, `reencrypt` moves them all to the new key (resumable, counted, loud about
 * rows it cannot read, yielding to concurrent writers), and the old key can then be dropped.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Knex } from 'knex';
import { createSecretBox, type ConfiguredSecretBox } from '../../../plugins/broker/crypto/create-box.js';
import { openGrant, sealGrant } from '../../../plugins/broker/crypto/grant-seal.js';
import { BrokerKeyError } from '../../../plugins/broker/crypto/local-box.js';
import { reencryptGrants } from '../../../plugins/broker/reencrypt.js';
import type { SecretBox } from '../../../plugins/broker/types.js';
import { brokerCryptoProbe } from '../../fixtures/plugins/broker-crypto-probe.js';
import { errorLines, fixtureImport, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { requirePostgres } from '../../helpers/postgres.js';
import { runCli, startServer, type TestServer } from '../../helpers/server.js';
import { startFakeVault } from '../../helpers/vault-transit.js';
import { encryptionOptions, grantRows, insertGrant, newMasterKey, recordingLog, STORAGES, type GrantRow } from './crypto-setup.js';

const ISSUER = 'https://auth.example.com';

function boxFor(env: Record<string, string>): Promise<ConfiguredSecretBox> {
  return createSecretBox(encryptionOptions(), env, { issuer: ISSUER, log: recordingLog() });
}

/** A server whose database has the broker tables, under the given master key. */
function brokerServer(t: Parameters<typeof startServer>[0], storage: (typeof STORAGES)[number], masterKey: string, dir?: string): Promise<TestServer> {
  return startServer(t, { plugins: [brokerCryptoProbe()], storage, env: { AUTHPLANE_BROKER_MASTER_KEY: masterKey }, ...(dir ? { dir } : {}) });
}

async function seed(db: Knex, box: SecretBox, count: number, prefix = 'user'): Promise<Map<string, string>> {
  const plaintexts = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const plaintext = JSON.stringify({ access_token: `${prefix}-${i}-access`, refresh_token: `${prefix}-${i}-refresh` });
    const row = await insertGrant(db, box, `${prefix}-${i}`, `provider-${i % 3}`, plaintext);
    plaintexts.set(row.id, plaintext);
  }
  return plaintexts;
}

async function openAll(box: SecretBox, rows: GrantRow[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(rows.map(async (row) => [row.id, await openGrant(box, row)] as const)));
}

for (const storage of STORAGES) {
  test(`on ${storage}, reencrypt moves every grant to the new master key, a second run rewrites nothing, and the old key can then be dropped`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const oldKey = newMasterKey();
    const newKey = newMasterKey();
    const srv = await brokerServer(t, storage, oldKey);
    const db = srv.server.db;
    const before = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: oldKey });
    const plaintexts = await seed(db, before, 7);

    // The rotation: the new key is current, the old one listed as previous.
    const during = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newKey, AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS: oldKey });
    const already = await insertGrant(db, during, 'user-late', 'provider-0', 'connected after the rotation');
    plaintexts.set(already.id, 'connected after the rotation');
    const rowsBefore = await grantRows(db);
    assert.deepEqual(await openAll(during, rowsBefore), plaintexts, 'rows under the old key open while it is listed as previous');

    const batches: number[] = [];
    const result = await reencryptGrants(db, during, { batchSize: 3, onBatch: (p) => batches.push(p.rewritten) });
    assert.deepEqual(result, { rewritten: 7, skipped: 0, failed: 0, current_key_id: during.currentKeyId, remaining: 0, failures: [] });
    assert.deepEqual(batches, [3, 6, 7], 'batches of 3 in id order');

    const rowsAfter = await grantRows(db);
    for (const [i, row] of rowsAfter.entries()) {
      assert.equal(row.key_id, during.currentKeyId);
      assert.equal(row.version, rowsBefore[i]!.version, 'a re-encryption changes no grant: the version stays');
      if (row.id !== already.id) assert.notEqual(row.ciphertext, rowsBefore[i]!.ciphertext);
    }
    assert.equal(rowsAfter.find((r) => r.id === already.id)!.ciphertext, already.ciphertext, 'a row under the current key is left alone');

    const again = await reencryptGrants(db, during);
    assert.deepEqual({ rewritten: again.rewritten, skipped: again.skipped, failed: again.failed, remaining: again.remaining }, { rewritten: 0, skipped: 0, failed: 0, remaining: 0 });

    // The old key dropped: every grant still opens with the new key alone, and none with the old key alone.
    const after = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newKey });
    assert.deepEqual(await openAll(after, rowsAfter), plaintexts);
    await assert.rejects(openGrant(before, rowsAfter[0]!), BrokerKeyError);
  });
}

test('a row that fails to decrypt is counted and named, left as it was, and the walk goes on', async (t) => {
  const oldKey = newMasterKey();
  const newKey = newMasterKey();
  const srv = await brokerServer(t, 'sqlite', oldKey);
  const db = srv.server.db;
  const before = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: oldKey });
  await seed(db, before, 3);
  // Sealed under a key nobody configured (lost), and a ciphertext copied from another user's row.
  const lost = await insertGrant(db, await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newMasterKey() }), 'user-lost', 'provider-0', 'unreadable');
  const victim = await insertGrant(db, before, 'user-victim', 'provider-1', 'the victim tokens');
  const moved = await insertGrant(db, before, 'user-mallory', 'provider-1', 'mallory tokens');
  await db('broker_grants').where({ id: moved.id }).update({ ciphertext: victim.ciphertext });

  const during = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newKey, AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS: oldKey });
  const result = await reencryptGrants(db, during, { batchSize: 2 });
  assert.equal(result.rewritten, 4);
  assert.equal(result.failed, 2);
  assert.equal(result.remaining, 2);
  // The walk goes in id order, and two ids made in one millisecond are in random order: compare by id.
  const failures = new Map(result.failures.map((f) => [f.id, f]));
  assert.deepEqual([...failures.keys()].sort(), [lost.id, moved.id].sort());
  assert.equal(failures.get(lost.id)!.key_id, lost.key_id);
  assert.equal(failures.get(moved.id)!.key_id, moved.key_id);
  assert.match(failures.get(lost.id)!.error, new RegExp(`made with key ${lost.key_id}, which none of the configured master keys is`));
  assert.match(failures.get(moved.id)!.error, /failed to authenticate/);
  const rows = await grantRows(db);
  assert.equal(rows.length, 6, 'nothing is dropped');
  assert.deepEqual(rows.find((r) => r.id === lost.id), lost);
  assert.equal(rows.find((r) => r.id === moved.id)!.ciphertext, victim.ciphertext);
});

test('a grant another writer changes between the read and the write wins, and counts as skipped', async (t) => {
  const oldKey = newMasterKey();
  const newKey = newMasterKey();
  const srv = await brokerServer(t, 'sqlite', oldKey);
  const db = srv.server.db;
  const before = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: oldKey });
  const during = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newKey, AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS: oldKey });
  await seed(db, before, 4);
  const [, refreshed, stale] = await grantRows(db);

  // While reencrypt holds a row's plaintext, a refresh writes the grant: one on a restarted server (under the new
  // key), one on a server not yet restarted (still under the old key). Both bump the version, as every write does.
  const writeMeanwhile = async (row: GrantRow, box: SecretBox, plaintext: string) => {
    const sealed = await sealGrant(box, row, plaintext);
    await db('broker_grants').where({ id: row.id }).update({ key_id: sealed.keyId, ciphertext: sealed.ciphertext, version: row.version + 1 });
  };
  const racing: SecretBox = {
    get currentKeyId() {
      return during.currentKeyId;
    },
    encrypt: (purpose, plaintext, aad) => during.encrypt(purpose, plaintext, aad),
    async decrypt(purpose, sealed, aad) {
      const plaintext = await during.decrypt(purpose, sealed, aad);
      if (sealed.ciphertext === refreshed!.ciphertext) await writeMeanwhile(refreshed!, during, 'refreshed on the new server');
      if (sealed.ciphertext === stale!.ciphertext) await writeMeanwhile(stale!, before, 'refreshed on the old server');
      return plaintext;
    },
  };
  const result = await reencryptGrants(db, racing);
  assert.deepEqual({ rewritten: result.rewritten, skipped: result.skipped, failed: result.failed, remaining: result.remaining }, { rewritten: 2, skipped: 2, failed: 0, remaining: 1 });

  const rows = await grantRows(db);
  const refreshedNow = rows.find((r) => r.id === refreshed!.id)!;
  assert.equal(refreshedNow.version, 2);
  assert.equal(await openGrant(during, refreshedNow), 'refreshed on the new server', 'the writer\'s tokens are kept');
  // The stale server's write is kept too, and the next run moves it.
  const next = await reencryptGrants(db, during);
  assert.equal(next.rewritten, 1);
  assert.equal(next.remaining, 0);
  const staleNow = (await grantRows(db)).find((r) => r.id === stale!.id)!;
  assert.equal(staleNow.key_id, during.currentKeyId);
  assert.equal(await openGrant(during, staleNow), 'refreshed on the old server');
});

test('an interrupted run resumes where it stopped when run again', async (t) => {
  const oldKey = newMasterKey();
  const newKey = newMasterKey();
  const srv = await brokerServer(t, 'sqlite', oldKey);
  const db = srv.server.db;
  const plaintexts = await seed(db, await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: oldKey }), 10);
  const during = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newKey, AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS: oldKey });

  await assert.rejects(
    reencryptGrants(db, during, {
      batchSize: 4,
      onBatch: () => {
        throw new Error('killed');
      },
    }),
    /killed/,
  );
  const midway = await grantRows(db);
  assert.equal(midway.filter((r) => r.key_id === during.currentKeyId).length, 4, 'the first batch was written');
  assert.deepEqual(midway.slice(0, 4).map((r) => r.key_id), Array(4).fill(during.currentKeyId), 'in id order');

  const resumed = await reencryptGrants(db, during, { batchSize: 4 });
  assert.equal(resumed.rewritten, 6);
  assert.equal(resumed.remaining, 0);
  assert.deepEqual(await openAll(await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newKey }), await grantRows(db)), plaintexts);
});

test('authserver admin reencrypt prints the counts, exits 1 naming a row it cannot read, and 0 once every row is moved', async (t) => {
  const dir = repoTempDir(t, 'broker-reencrypt-');
  const oldKey = newMasterKey();
  const newKey = newMasterKey();
  const srv = await brokerServer(t, 'sqlite', oldKey, dir);
  const before = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: oldKey });
  const plaintexts = await seed(srv.server.db, before, 5);
  const lost = await insertGrant(srv.server.db, await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newMasterKey() }), 'user-lost', 'provider-0', 'x');
  await srv.stop();

  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: [fixtureImport('brokerCryptoProbe', 'broker-crypto-probe.ts')],
    plugins: ['brokerCryptoProbe()'],
  });
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false', AUTHPLANE_BROKER_MASTER_KEY: newKey, AUTHPLANE_BROKER_MASTER_KEY_PREVIOUS: oldKey };
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env });
  const during = await boxFor(env);

  const first = await cli('admin', 'reencrypt', '--batch-size', '2');
  assert.equal(first.code, 1, first.stderr);
  assert.match(first.stdout, new RegExp(`^current_key_id\\s+${during.currentKeyId}$`, 'm'));
  assert.match(first.stdout, /^rewritten\s+5$/m);
  assert.match(first.stdout, /^skipped\s+0$/m);
  assert.match(first.stdout, /^failed\s+1$/m);
  assert.match(first.stdout, /^remaining\s+1$/m);
  assert.match(first.stdout, new RegExp(`^failed ${lost.id} \\(key ${lost.key_id}\\): the ciphertext was made with key ${lost.key_id}`, 'm'));
  for (const key of [oldKey, newKey]) assert.ok(!first.stdout.includes(key) && !first.stderr.includes(key));

  const usage = await cli('admin', 'reencrypt', '--batch-size', 'lots');
  assert.equal(usage.code, 1);
  assert.deepEqual(errorLines(usage.stderr), ["error: --batch-size must be a whole number from 1 to 10000, got 'lots'"]);

  // The operator decides the unreadable grant is gone (the user reconnects), deletes it, and runs again.
  const reopened = await brokerServer(t, 'sqlite', newKey, dir);
  await reopened.server.db('broker_grants').where({ id: lost.id }).delete();
  const again = await cli('admin', 'reencrypt', '--json');
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), { rewritten: 0, skipped: 0, failed: 0, current_key_id: during.currentKeyId, remaining: 0, failures: [] });
  const after = await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: newKey });
  assert.deepEqual(await openAll(after, await grantRows(reopened.server.db)), plaintexts);
});

test('with the Vault backend, reencrypt moves rows to the Transit key\'s latest version, and rows sealed locally into Vault', async (t) => {
  const masterKey = newMasterKey();
  const srv = await brokerServer(t, 'sqlite', masterKey);
  const db = srv.server.db;
  const vault = await startFakeVault(t);
  vault.createKey('broker');
  const options = encryptionOptions({ backend: 'vault-transit', vault: { address: vault.url, keyName: 'broker' } });
  const env = { AUTHPLANE_BROKER_VAULT_TOKEN: vault.token, AUTHPLANE_BROKER_MASTER_KEY: masterKey };
  const plaintexts = new Map([
    ...(await seed(db, await boxFor({ AUTHPLANE_BROKER_MASTER_KEY: masterKey }), 2, 'local')),
    ...(await seed(db, await createSecretBox(options, env, { issuer: ISSUER, log: recordingLog() }), 3, 'vault')),
  ]);
  assert.deepEqual([...new Set((await grantRows(db)).map((r) => r.key_id.split(':')[0]))].sort(), ['local', 'vault']);

  vault.rotate('broker');
  // A box built after the rotation (a restart, or the CLI) encrypts under v2 from its boot probe on.
  const box = await createSecretBox(options, env, { issuer: ISSUER, log: recordingLog() });
  assert.equal(box.currentKeyId, 'vault:broker:v2');
  const result = await reencryptGrants(db, box, { batchSize: 2 });
  assert.deepEqual({ rewritten: result.rewritten, failed: result.failed, remaining: result.remaining }, { rewritten: 5, failed: 0, remaining: 0 });
  const rows = await grantRows(db);
  assert.deepEqual([...new Set(rows.map((r) => r.key_id))], ['vault:broker:v2']);
  assert.ok(rows.every((r) => r.ciphertext.startsWith('vault:v2:')));
  // Without the local master key, and with v1 retired in Vault, every grant still opens.
  const retired = await fetch(`${vault.url}/v1/transit/keys/broker/config`, { method: 'POST', headers: { 'X-Vault-Token': vault.token }, body: JSON.stringify({ min_decryption_version: 2 }) });
  assert.equal(retired.status, 200);
  const vaultOnly = await createSecretBox(options, { AUTHPLANE_BROKER_VAULT_TOKEN: vault.token }, { issuer: ISSUER, log: recordingLog() });
  assert.deepEqual(await openAll(vaultOnly, rows), plaintexts);
});
