import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
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
  RESOURCE_URI,
  sample,
} from './setup.js';

test('with requireNonce a proof without a nonce gets use_dpop_nonce and a DPoP-Nonce; oauth4webapi retries and succeeds', async (t) => {
  const fx = await dpopServer(t, { dpop: { requireNonce: true } });
  const machine = await fx.machineClient();
  const { handle, jkt } = await dpopHandle(machine.client);
  const auth = oauth.ClientSecretBasic(machine.secret);
  const request = () =>
    oauth.clientCredentialsGrantRequest(fx.as, machine.client, auth, { resource: RESOURCE_URI }, { DPoP: handle, ...insecure });

  const first = await request();
  assert.equal(first.status, 400);
  const challenge = first.headers.get('dpop-nonce');
  assert.ok(challenge, 'the refusal carries a nonce');
  await assert.rejects(oauth.processClientCredentialsResponse(fx.as, machine.client, first), (e) => oauth.isDPoPNonceError(e));

  const retry = await request();
  assert.equal(retry.status, 200);
  assert.ok(retry.headers.get('dpop-nonce'), 'RFC 9449 §8.2: the success carries the next nonce');
  const tokens = await oauth.processClientCredentialsResponse(fx.as, machine.client, retry);
  assert.equal(tokens.token_type, 'dpop');
  assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt });

  // The handle keeps the nonce it was given, so the next request needs no second round trip.
  assert.equal((await request()).status, 200);
  const metrics = await metricsText(fx);
  assert.equal(sample(metrics, 'authplane_dpop_proofs_rejected_total', '{reason="nonce"}'), 1);
  assert.equal(sample(metrics, 'authplane_dpop_proofs_validated_total'), 2);
});

test('a forged or expired nonce is refused with a fresh one; requests without DPoP get no nonce', async (t) => {
  const fx = await dpopServer(t, { dpop: { requireNonce: true, nonceTtl: 1 } });
  const machine = await fx.machineClient();
  const key = await proofKey();

  const bearer = await machineTokenRequest(fx, machine);
  assert.equal(bearer.status, 200, 'DPoP stays optional');
  assert.equal(bearer.headers.get('dpop-nonce'), null, 'nonces are issued only to requests carrying a proof');

  const challenged = await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl));
  const nonce = challenged.headers.get('dpop-nonce')!;
  assert.match(await expectError(challenged, 'use_dpop_nonce'), /requires a nonce/);

  const forged = `${nonce.slice(0, -4)}AAAA`;
  const refused = await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl, { nonce: forged }));
  assert.ok(refused.headers.get('dpop-nonce'));
  assert.match(await expectError(refused, 'use_dpop_nonce'), /nonce is invalid/);

  await sleep(2200);
  const late = await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl, { nonce }));
  const fresh = late.headers.get('dpop-nonce')!;
  assert.match(await expectError(late, 'use_dpop_nonce'), /nonce is expired/);
  assert.notEqual(fresh, nonce);
  // The fresh nonce also lives one second, which a loaded machine can spend before the next request arrives: then
  // the refusal carries another fresh nonce, and the client (as a real one would) tries again with it.
  let ok = await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl, { nonce: fresh }));
  for (let attempt = 1; attempt < 5 && ok.status === 400 && ok.headers.get('dpop-nonce'); attempt++) {
    ok = await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl, { nonce: ok.headers.get('dpop-nonce')! }));
  }
  assert.equal(ok.status, 200, await ok.clone().text());
});

test('without requireNonce proofs need no nonce and responses carry none', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const response = await machineTokenRequest(fx, machine, await handProof(await proofKey(), fx.tokenUrl));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('dpop-nonce'), null);
});
