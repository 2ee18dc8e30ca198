import assert from 'node:assert/strict';
import test from 'node:test';
import { handProof, proofKey } from '../dpop/setup.js';
import { exchange, exchangeServer, machineToken, ok, RESOURCE_URI, verified, type ExchangeFixture } from './setup.js';

const cnfJkt = async (fx: ExchangeFixture, jti: unknown) =>
  ((await (await fx.admin(`/admin/issuances/${jti as string}`)).json()) as { cnf_jkt: string | null }).cnf_jkt;

test("without a proof the subject token's DPoP binding carries over to the exchanged token, which is announced as DPoP", async (t) => {
  const fx = await exchangeServer(t);
  const machine = await fx.confidential('Machine');
  const key = await proofKey();
  const tokenUrl = `${fx.url}/oauth/token`;
  const bound = await machineToken(fx, machine, { resource: RESOURCE_URI }, { dpop: await handProof(key, tokenUrl) });
  assert.equal(bound.token_type, 'DPoP');
  const body = await ok(await exchange(fx, machine, { subject_token: bound.access_token }));
  // RFC 9449 §5: the token is bound to a key, so it is a DPoP token: never a Bearer copy of a bound token.
  assert.equal(body.token_type, 'DPoP');
  const claims = await verified(fx, body.access_token, RESOURCE_URI);
  assert.deepEqual(claims.cnf, { jkt: key.jkt });
  assert.equal(await cnfJkt(fx, claims.jti), key.jkt, 'the issuance row records the carried-over binding');
});

test('a proof on the exchange binds the new token to the proof key, bound subject token or not', async (t) => {
  const fx = await exchangeServer(t);
  const machine = await fx.confidential('Machine');
  const tokenUrl = `${fx.url}/oauth/token`;
  const [first, second] = [await proofKey(), await proofKey()];
  const unbound = await machineToken(fx, machine, { resource: RESOURCE_URI });
  assert.equal(unbound.token_type, 'Bearer');
  const fromBearer = await ok(await exchange(fx, machine, { subject_token: unbound.access_token }, { dpop: await handProof(first, tokenUrl) }));
  assert.equal(fromBearer.token_type, 'DPoP');
  const fromBearerClaims = await verified(fx, fromBearer.access_token, RESOURCE_URI);
  assert.deepEqual(fromBearerClaims.cnf, { jkt: first.jkt });
  assert.equal(await cnfJkt(fx, fromBearerClaims.jti), first.jkt);

  const rebound = await ok(await exchange(fx, machine, { subject_token: fromBearer.access_token }, { dpop: await handProof(second, tokenUrl) }));
  assert.equal(rebound.token_type, 'DPoP');
  assert.deepEqual((await verified(fx, rebound.access_token, RESOURCE_URI)).cnf, { jkt: second.jkt });
});

test('an unbound subject token exchanged without a proof gives an unbound Bearer token', async (t) => {
  const fx = await exchangeServer(t);
  const machine = await fx.confidential('Machine');
  const unbound = await machineToken(fx, machine, { resource: RESOURCE_URI });
  const body = await ok(await exchange(fx, machine, { subject_token: unbound.access_token }));
  assert.equal(body.token_type, 'Bearer');
  const claims = await verified(fx, body.access_token, RESOURCE_URI);
  assert.equal(claims.cnf, undefined);
  assert.equal(await cnfJkt(fx, claims.jti), null);
});
