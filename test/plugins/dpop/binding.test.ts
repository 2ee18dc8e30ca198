import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import {
  dpopHandle,
  dpopServer,
  expectError,
  handProof,
  insecure,
  machineTokenRequest,
  metricsText,
  proofKey,
  redeemWithDpop,
  RESOURCE_URI,
  sample,
} from './setup.js';

test('discovery advertises the proof algorithms in dpop_signing_alg_values_supported', async (t) => {
  const fx = await dpopServer(t);
  assert.deepEqual(fx.as.dpop_signing_alg_values_supported, ['ES256', 'RS256', 'PS256', 'EdDSA']);
  const narrowed = await dpopServer(t, { dpop: { algorithms: ['EdDSA'] } });
  assert.deepEqual(narrowed.as.dpop_signing_alg_values_supported, ['EdDSA']);
});

test('authorization_code with an oauth4webapi proof gives a DPoP token bound to the key, recorded on the issuance row', async (t) => {
  const fx = await dpopServer(t);
  const { handle, jkt } = await dpopHandle({ client_id: fx.clientId });
  const tokens = await redeemWithDpop(fx, handle);
  assert.equal(tokens.token_type, 'dpop');
  const claims = decodeJwt(tokens.access_token);
  assert.deepEqual(claims.cnf, { jkt });
  assert.deepEqual(claims.aud, [RESOURCE_URI]);

  const issuance = await (await fx.admin(`/admin/issuances/${claims.jti}`)).json();
  assert.equal(issuance.cnf_jkt, jkt, JSON.stringify(issuance));
  const metrics = await metricsText(fx);
  assert.equal(sample(metrics, 'authplane_dpop_proofs_validated_total'), 1);
});

test('a token request without a DPoP header still gets a Bearer token without cnf', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const response = await machineTokenRequest(fx, machine);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'Bearer');
  assert.equal(decodeJwt(body.access_token).cnf, undefined);
});

test('client_credentials with an oauth4webapi proof is DPoP-bound, and introspection returns cnf.jkt', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const { handle, jkt } = await dpopHandle(machine.client);
  const auth = oauth.ClientSecretBasic(machine.secret);
  const response = await oauth.clientCredentialsGrantRequest(fx.as, machine.client, auth, { resource: RESOURCE_URI }, { DPoP: handle, ...insecure });
  const tokens = await oauth.processClientCredentialsResponse(fx.as, machine.client, response);
  assert.equal(tokens.token_type, 'dpop');
  assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt });

  const introspected = await oauth.processIntrospectionResponse(
    fx.as,
    machine.client,
    await oauth.introspectionRequest(fx.as, machine.client, auth, tokens.access_token, insecure),
  );
  assert.equal(introspected.active, true);
  assert.equal(introspected.token_type, 'DPoP');
  assert.deepEqual(introspected.cnf, { jkt });
});

test('refresh with the same key keeps the binding; another key or no proof is refused without spending the token', async (t) => {
  const fx = await dpopServer(t);
  const client = { client_id: fx.clientId };
  const { handle, jkt } = await dpopHandle(client);
  const first = await redeemWithDpop(fx, handle);
  assert.ok(first.refresh_token);

  const other = await dpopHandle(client);
  const stolen = await oauth.refreshTokenGrantRequest(fx.as, client, oauth.None(), first.refresh_token, { DPoP: other.handle, ...insecure });
  await assert.rejects(oauth.processRefreshTokenResponse(fx.as, client, stolen), (e: oauth.ResponseBodyError) => {
    assert.equal(e.error, 'invalid_grant');
    assert.match(e.error_description!, /bound to another DPoP key/);
    return true;
  });
  // A public client has nothing but the key: without a proof the bound refresh token is useless.
  const bare = await oauth.refreshTokenGrantRequest(fx.as, client, oauth.None(), first.refresh_token, insecure);
  await assert.rejects(oauth.processRefreshTokenResponse(fx.as, client, bare), (e: oauth.ResponseBodyError) => e.error === 'invalid_grant');

  const refreshed = await oauth.processRefreshTokenResponse(
    fx.as,
    client,
    await oauth.refreshTokenGrantRequest(fx.as, client, oauth.None(), first.refresh_token, { DPoP: handle, ...insecure }),
  );
  assert.equal(refreshed.token_type, 'dpop');
  assert.deepEqual(decodeJwt(refreshed.access_token).cnf, { jkt });
  assert.notEqual(refreshed.refresh_token, first.refresh_token);
  const again = await oauth.refreshTokenGrantRequest(fx.as, client, oauth.None(), refreshed.refresh_token!, { DPoP: other.handle, ...insecure });
  await assert.rejects(oauth.processRefreshTokenResponse(fx.as, client, again), (e: oauth.ResponseBodyError) => e.error === 'invalid_grant');
});

test('a confidential client introspecting its refresh token sees the key it is bound to', async (t) => {
  const fx = await dpopServer(t);
  const created = await fx.createClient({ token_endpoint_auth_method: 'client_secret_basic' });
  const client = { client_id: created.client_id };
  const auth = oauth.ClientSecretBasic(created.client_secret!);
  const { handle, jkt } = await dpopHandle(client);
  const tokens = await redeemWithDpop(fx, handle, created.client_id, auth);
  const introspected = await oauth.processIntrospectionResponse(
    fx.as,
    client,
    await oauth.introspectionRequest(fx.as, client, auth, tokens.refresh_token!, { additionalParameters: { token_type_hint: 'refresh_token' }, ...insecure }),
  );
  assert.equal(introspected.active, true);
  assert.deepEqual(introspected.cnf, { jkt });
});

test('a client registered with dpop_bound_access_tokens cannot get a token without a proof', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const patched = await fx.admin(`/admin/clients/${machine.client.client_id}`, {
    method: 'PATCH',
    body: JSON.stringify({ dpop_bound_access_tokens: true }),
  });
  const view = await patched.json();
  assert.equal(patched.status, 200, JSON.stringify(view));
  assert.equal(view.dpop_bound_access_tokens, true);

  const description = await expectError(await machineTokenRequest(fx, machine), 'invalid_dpop_proof');
  assert.match(description, /must send a DPoP proof/);
  const key = await proofKey();
  const bound = await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl));
  const body = await bound.json();
  assert.equal(bound.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'DPoP');
  assert.equal(sample(await metricsText(fx), 'authplane_dpop_proofs_rejected_total', '{reason="missing"}'), 1);

  const created = await fx.machineClient({ dpop_bound_access_tokens: true });
  assert.equal((await (await fx.admin(`/admin/clients/${created.client.client_id}`)).json()).dpop_bound_access_tokens, true);
  await expectError(await machineTokenRequest(fx, created), 'invalid_dpop_proof');

  const lifted = await fx.admin(`/admin/clients/${machine.client.client_id}`, {
    method: 'PATCH',
    body: JSON.stringify({ dpop_bound_access_tokens: false }),
  });
  assert.equal((await lifted.json()).dpop_bound_access_tokens, false);
  assert.equal((await machineTokenRequest(fx, machine)).status, 200);
});

test('RS256, PS256 and EdDSA proofs are accepted and bind to their own thumbprints', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  for (const alg of ['RS256', 'PS256', 'EdDSA']) {
    const key = await proofKey(alg);
    const response = await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl));
    const body = await response.json();
    assert.equal(response.status, 200, `${alg}: ${JSON.stringify(body)}`);
    assert.deepEqual(decodeJwt(body.access_token).cnf, { jkt: key.jkt }, alg);
  }
});
