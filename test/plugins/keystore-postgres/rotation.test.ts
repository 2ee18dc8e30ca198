/**
 * Two replicas on one PostgreSQL database with the `postgres` key store: one set of signing keys, and a rotation on
 * one reaching the other through the table's trigger and LISTEN/NOTIFY — not through the periodic re-read, which
 * the replica set puts an hour away.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientCredentials, clients, introspection, resources } from 'authplane/plugins';
import { PG_ADMIN_DSN, requirePostgres } from '../../helpers/postgres.js';
import { startReplicas } from '../../helpers/replicas.js';
import { startTcpProxy, throughProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';
import { decodeJwt, introspect, machineToken } from '../client-credentials/setup.js';
import type { TestServer } from '../../helpers/server.js';

const plugins = () => [clients(), resources(), clientCredentials(), introspection()];

async function jwksKids(server: TestServer): Promise<string[]> {
  const response = await fetch(`${server.url}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return ((await response.json()).keys as { kid: string }[]).map((k) => k.kid);
}

async function machineClient(server: TestServer) {
  const response = await server.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'Machine', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' }),
  });
  assert.equal(response.status, 201);
  return (await response.json()) as { client_id: string; client_secret: string };
}

async function rotate(server: TestServer): Promise<string> {
  const response = await server.admin('/admin/keys/rotate', { method: 'POST' });
  assert.equal(response.status, 201);
  return (await response.json()).kid as string;
}

test('replicas share one signing key; after a rotation on A, B publishes and signs with the new kid within 1 s and accepts A\'s new tokens', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { replicas: [a, b] } = await startReplicas(t, { plugins });
  assert.deepEqual(await jwksKids(b!), await jwksKids(a!), 'B loaded the key A generated instead of making its own');
  assert.equal(b!.server.keyStore.shared, true);
  const client = await machineClient(a!);

  const kid = await rotate(a!);
  const rotatedAt = Date.now();
  await waitFor('B to publish the rotated key', async () => (await jwksKids(b!)).includes(kid));
  const elapsed = Date.now() - rotatedAt;
  assert.ok(elapsed < 1000, `B published the new kid ${elapsed} ms after the rotation; the bound is 1 s`);
  await waitFor('B to sign with the rotated key', () => b!.server.keys.currentKid === kid);

  const fromA = await machineToken(a!.url, client);
  assert.equal(decodeJwt(fromA.access_token).header.kid, kid);
  assert.equal((await introspect(b!.url, client, fromA.access_token)).active, true, 'B verifies a token A signed with the new key');
  const fromB = await machineToken(b!.url, client);
  assert.equal(decodeJwt(fromB.access_token).header.kid, kid, 'B signs with the new key too');
  assert.equal((await introspect(a!.url, client, fromB.access_token)).active, true);
  assert.equal((await a!.server.db('signing_keys').count({ n: '*' }))[0]!.n, 2, 'one key per rotation, not one per replica');
});

test('a rotation while B\'s connections to PostgreSQL are cut reaches B when they come back, by the re-read on reconnect', async (t) => {
  if (!(await requirePostgres(t))) return;
  const target = new URL(PG_ADMIN_DSN);
  const proxy = await startTcpProxy(t, { host: target.hostname, port: Number(target.port || 5432) });
  const { replicas: [a, b] } = await startReplicas(t, { plugins, dsnFor: (i, dsn) => (i === 1 ? throughProxy(dsn, proxy) : dsn) });
  const before = b!.server.keys.currentKid;
  const client = await machineClient(a!);

  proxy.cut();
  await waitFor('B to notice that its listener connection dropped', () =>
    b!.logs.some((l) => l.msg === 'replica listener connection lost; reconnecting' || l.msg === 'replica listener cannot connect; retrying'),
  );
  const kid = await rotate(a!);
  // B's connections stay cut across the rotation: the notification went out while B could not hear it.
  assert.equal(b!.server.keys.currentKid, before);
  assert.ok(!(await jwksKids(b!)).includes(kid), 'B still publishes the old set while cut off');

  proxy.restore();
  await waitFor('B to reconnect and re-read the keys', async () => (await jwksKids(b!)).includes(kid) && b!.server.keys.currentKid === kid);
  const fromA = await machineToken(a!.url, client);
  assert.equal((await introspect(b!.url, client, fromA.access_token)).active, true);
  const reconnects = b!.logs.filter((l) => l.msg === 'replica listener connected').length;
  assert.ok(reconnects >= 2, `B's listener connected at start and again after the cut (${reconnects})`);
});
