/**
 * The Vault key store against the loopback Transit server (test/helpers/vault-transit.ts): Vault makes every
 * signature, the server only ever holds public keys, and tokens verify against the published JWKS.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { clientCredentials, clients, introspection, keystoreVault, resources } from 'authplane/plugins';
import { startServer, type TestServer } from '../../helpers/server.js';
import { startFakeVault, type FakeVault } from '../../helpers/vault-transit.js';
import { decodeJwt, introspect, machineToken, requestMachineToken } from '../client-credentials/setup.js';

async function vaultServer(t: TestContext, vault: FakeVault, env: NodeJS.ProcessEnv = { AUTHPLANE_KEYSTORE_VAULT_TOKEN: vault.token }) {
  const server = await startServer(t, {
    env,
    plugins: [keystoreVault({ address: vault.url, timeout: 2000 }), clients(), resources(), clientCredentials(), introspection()],
    config: { signing: { keyStore: 'vault' } },
  });
  const response = await server.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'Machine', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' }),
  });
  assert.equal(response.status, 201);
  return { server, client: (await response.json()) as { client_id: string; client_secret: string } };
}

/** Checks the token's ES256 signature against the server's JWKS ourselves, with node:crypto. */
async function verifiesAgainstJwks(server: TestServer, token: string): Promise<boolean> {
  const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: (Record<string, string> & { kid: string })[] };
  const kid = decodeJwt(token).header.kid;
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk) return false;
  assert.equal(jwk.d, undefined, 'a JWKS never carries a private key');
  const [header, payload, signature] = token.split('.');
  return verify('sha256', Buffer.from(`${header}.${payload}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url'));
}

const signCalls = (vault: FakeVault) => vault.requests.filter((r) => r.path === '/v1/transit/sign/authplane-signing');

test('with a Vault token, the first start creates an ecdsa-p256 Transit key and every token is signed by Vault', async (t) => {
  const vault = await startFakeVault(t);
  const { server, client } = await vaultServer(t, vault);
  assert.ok(vault.requests.some((r) => r.method === 'POST' && r.path === '/v1/transit/keys/authplane-signing' && r.body.type === 'ecdsa-p256'));
  assert.equal(server.server.keyStore.name, 'vault');

  const before = signCalls(vault).length;
  const first = await machineToken(server.url, client);
  const second = await machineToken(server.url, client);
  assert.equal(signCalls(vault).length - before, 2, 'one Transit sign call per token');
  assert.equal(signCalls(vault).at(-1)!.body.marshaling_algorithm, 'jws');
  assert.ok(await verifiesAgainstJwks(server, first.access_token));
  assert.ok(await verifiesAgainstJwks(server, second.access_token));
  assert.equal((await introspect(server.url, client, first.access_token)).active, true);
});

test('a rotation makes a new Transit key version the signer; tokens of the old version still verify', async (t) => {
  const vault = await startFakeVault(t);
  const { server, client } = await vaultServer(t, vault);
  const old = await machineToken(server.url, client);
  const rotated = await server.admin('/admin/keys/rotate', { method: 'POST' });
  assert.equal(rotated.status, 201);
  const { kid } = await rotated.json();
  assert.ok(vault.requests.some((r) => r.path === '/v1/transit/keys/authplane-signing/rotate'));

  const fresh = await machineToken(server.url, client);
  assert.equal(decodeJwt(fresh.access_token).header.kid, kid);
  assert.notEqual(decodeJwt(old.access_token).header.kid, kid);
  assert.equal(signCalls(vault).at(-1)!.body.key_version, 2);
  assert.ok(await verifiesAgainstJwks(server, fresh.access_token));
  assert.ok(await verifiesAgainstJwks(server, old.access_token), 'the old version stays published');
  assert.equal((await introspect(server.url, client, old.access_token)).active, true);
});

test('with AppRole, the store logs in, and logs in again when Vault stops accepting its token', async (t) => {
  const vault = await startFakeVault(t);
  const { server, client } = await vaultServer(t, vault, {
    AUTHPLANE_KEYSTORE_VAULT_ROLE_ID: vault.approle.roleId,
    AUTHPLANE_KEYSTORE_VAULT_SECRET_ID: vault.approle.secretId,
  });
  const logins = () => vault.requests.filter((r) => r.path === '/v1/auth/approle/login').length;
  assert.equal(logins(), 1);
  assert.ok(await verifiesAgainstJwks(server, (await machineToken(server.url, client)).access_token));
  vault.expireLogins();
  assert.ok(await verifiesAgainstJwks(server, (await machineToken(server.url, client)).access_token));
  assert.equal(logins(), 2);
});

test('Vault down at signing time is a 503 temporarily_unavailable within the timeout, and a wrong AppRole stops boot naming the variables', async (t) => {
  const vault = await startFakeVault(t);
  const { server, client } = await vaultServer(t, vault);
  vault.mode = 'hang';
  const response = await requestMachineToken(server.url, client);
  assert.equal(response.status, 503);
  assert.equal((await response.json()).error, 'temporarily_unavailable');
  vault.mode = 'normal';
  assert.equal((await requestMachineToken(server.url, client)).status, 200, 'it recovers without a restart');

  await assert.rejects(
    startServer(t, { env: {}, plugins: [keystoreVault({ address: vault.url })], config: { signing: { keyStore: 'vault' } } }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_KEYSTORE_VAULT_AUTH_MISSING' && /AUTHPLANE_KEYSTORE_VAULT_TOKEN/.test(err.message),
  );
  await assert.rejects(
    startServer(t, {
      env: { AUTHPLANE_KEYSTORE_VAULT_ROLE_ID: vault.approle.roleId, AUTHPLANE_KEYSTORE_VAULT_SECRET_ID: 'wrong' },
      plugins: [keystoreVault({ address: vault.url })],
      config: { signing: { keyStore: 'vault' } },
    }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_KEYSTORE_VAULT_DENIED' && !err.message.includes('wrong'),
  );
});
