import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import knex from 'knex';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { dpopServer, handProof, machineTokenRequest, proofKey } from './setup.js';

/** The plugin's default `proofLifetime`. */
const PROOF_LIFETIME = 60;
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
  // Rows as the server writes them: the key starts with the proof's iat, and expires_at is iat + proofLifetime + 1 s.
  const row = (expiresAt: number, tag: string) => ({ id: `${Math.floor((expiresAt - 1000) / 1000 - PROOF_LIFETIME)}:${tag.repeat(43)}`, expires_at: expiresAt });
  await db('dpop_proof_jtis').insert([row(now - 60_000, 'a'), row(now - 1000, 'b'), row(now + 60_000, 'c')]);
  const purged = await runCli(['purge', '--only', 'dpop_nonces', '--config', config], { cwd: dir, env: ENV });
  assert.equal(purged.code, 0, purged.stderr);
  assert.equal(purged.stdout, 'dpop_nonces: 2 deleted\n');
  assert.deepEqual(await db('dpop_proof_jtis').pluck('id'), [row(now + 60_000, 'c').id], 'the live row stays');
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
