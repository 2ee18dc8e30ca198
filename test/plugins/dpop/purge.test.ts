import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import knex from 'knex';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { dpopServer, handProof, machineTokenRequest, proofKey } from './setup.js';

const ENV = { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' };

test('authserver purge --only dpop_nonces removes the replay store rows whose proofs have expired', async (t) => {
  const dir = repoTempDir(t, 'dpop-purge-');
  const dbPath = join(dir, 'auth.db');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: dbPath } }, signing: { keyPath: join(dir, 'keys') } },
    imports: ["import { dpop } from 'authplane/plugins';"],
    plugins: ['dpop()'],
  });
  const migrated = await runCli(['migrate', '--config', config], { cwd: dir, env: ENV });
  assert.equal(migrated.code, 0, migrated.stderr);
  const db = knex({ client: 'better-sqlite3', connection: { filename: dbPath }, useNullAsDefault: true });
  t.after(() => db.destroy());
  const now = Date.now();
  await db('dpop_proof_jtis').insert([
    { id: 'a'.repeat(64), expires_at: now - 60_000 },
    { id: 'b'.repeat(64), expires_at: now - 1 },
    { id: 'c'.repeat(64), expires_at: now + 60_000 },
  ]);
  const purged = await runCli(['purge', '--only', 'dpop_nonces', '--config', config], { cwd: dir, env: ENV });
  assert.equal(purged.code, 0, purged.stderr);
  assert.equal(purged.stdout, 'dpop_nonces: 2 deleted\n');
  assert.deepEqual(await db('dpop_proof_jtis').pluck('id'), ['c'.repeat(64)], 'the live row stays');
});

test('an accepted proof is remembered until its iat window closes, then the server forgets it on its own', async (t) => {
  // A lifetime of a few seconds: a loaded CI machine can take more than one to answer the token request.
  const fx = await dpopServer(t, { dpop: { proofLifetime: 3, replayCleanupInterval: 1 } });
  const machine = await fx.machineClient();
  const iat = Math.floor(Date.now() / 1000);
  assert.equal((await machineTokenRequest(fx, machine, await handProof(await proofKey(), fx.tokenUrl, { iat }))).status, 200);
  const rows = await fx.server.db('dpop_proof_jtis').select('expires_at');
  assert.equal(rows.length, 1);
  const expiresAt = (iat + 3) * 1000 + 1000;
  assert.equal(Number(rows[0].expires_at), expiresAt);
  // Past the expiry, at the cleanup timer's next tick, which a loaded machine can delay: polled, not slept for.
  await sleep(Math.max(0, expiresAt - Date.now()));
  let left = 1;
  await waitFor('the cleanup timer to delete the expired replay row', async () => (left = (await fx.server.db('dpop_proof_jtis').select('id')).length) === 0, {
    intervalMs: 100,
    lastSeen: () => `${left} row(s) left`,
  });
});
