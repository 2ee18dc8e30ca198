import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientCredentials, clients, dpop, oauth, resources, users } from 'authplane/plugins';
import { requirePostgres } from '../../helpers/postgres.js';
import { startServer } from '../../helpers/server.js';
import { dpopServer, expectError, handProof, machineTokenRequest, proofKey } from './setup.js';

/** Replicas share the database and the session secret (so they agree on nonces), each with its own process state. */
const SHARED_SECRET = { AUTHPLANE_SESSION_SECRET: 'dpop-replica-test-session-secret-0123456789' };

async function twoReplicas(t: Parameters<typeof dpopServer>[0], dpopOptions: Record<string, unknown> = {}) {
  const first = await dpopServer(t, { storage: 'postgres', env: SHARED_SECRET, dpop: dpopOptions });
  // Behind one load balancer both answer for the same issuer, so a proof's htu is valid at either.
  const second = await startServer(t, {
    storage: 'postgres',
    postgresDsn: first.postgresDsn,
    env: SHARED_SECRET,
    config: { server: { issuer: first.url } },
    plugins: [clients(), resources(), users(), oauth(), dpop(dpopOptions as never), clientCredentials()],
  });
  // Stopped before the helper drops the shared database, so neither pool is cut off mid-shutdown.
  const stopBoth = () => Promise.all([first.server.stop(), second.server.stop()]);
  return { first, secondTokenUrl: `${second.url}/oauth/token`, stopBoth };
}

test('two replicas on one PostgreSQL database refuse a proof replayed from one to the other', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { first, secondTokenUrl, stopBoth } = await twoReplicas(t);
  const machine = await first.machineClient();
  const key = await proofKey();
  const atSecond = { ...first, tokenUrl: secondTokenUrl };

  const proof = await handProof(key, first.tokenUrl);
  assert.equal((await machineTokenRequest(first, machine, proof)).status, 200);
  assert.match(await expectError(await machineTokenRequest(atSecond, machine, proof), 'invalid_dpop_proof'), /already used/);

  const raced = await handProof(key, first.tokenUrl);
  const statuses = await Promise.all(
    [first, atSecond, first, atSecond].map(async (fx) => (await machineTokenRequest(fx, machine, raced)).status),
  );
  assert.deepEqual(statuses.sort(), [200, 400, 400, 400], 'sent to both at once, exactly one replica accepts it');
  await stopBoth();
});

test('a nonce issued by one replica is accepted by the other', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { first, secondTokenUrl, stopBoth } = await twoReplicas(t, { requireNonce: true });
  const machine = await first.machineClient();
  const key = await proofKey();
  const challenged = await machineTokenRequest(first, machine, await handProof(key, first.tokenUrl));
  const nonce = challenged.headers.get('dpop-nonce')!;
  await expectError(challenged, 'use_dpop_nonce');
  const atSecond = { ...first, tokenUrl: secondTokenUrl };
  const response = await machineTokenRequest(atSecond, machine, await handProof(key, first.tokenUrl, { nonce }));
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal((await response.json()).token_type, 'DPoP');
  await stopBoth();
});

test('on PostgreSQL a proof whose iat has a fraction (a NumericDate may) is accepted once, its row in whole milliseconds', async (t) => {
  if (!(await requirePostgres(t))) return;
  const fx = await dpopServer(t, { storage: 'postgres' });
  const machine = await fx.machineClient();
  const proof = await handProof(await proofKey(), fx.tokenUrl, { iat: Math.floor(Date.now() / 1000) - 0.1234567 });
  const response = await machineTokenRequest(fx, machine, proof);
  assert.equal(response.status, 200, await response.clone().text());
  assert.match(await expectError(await machineTokenRequest(fx, machine, proof), 'invalid_dpop_proof'), /already used/);
});
