import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { exportJWK, SignJWT } from 'jose';
import {
  dpopServer,
  expectError,
  handProof,
  machineTokenRequest,
  metricsText,
  postWithHeaderLines,
  proofKey,
  RESOURCE_URI,
  sample,
  type DpopFixture,
} from './setup.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function rejected(fx: DpopFixture, proof: string): Promise<string> {
  const machine = await fx.machineClient();
  return expectError(await machineTokenRequest(fx, machine, proof), 'invalid_dpop_proof');
}

async function rejectedCount(fx: DpopFixture, reason: string): Promise<number> {
  return sample(await metricsText(fx), 'authplane_dpop_proofs_rejected_total', `{reason="${reason}"}`);
}

test('a replayed proof is refused: its jti is single use', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const proof = await handProof(await proofKey(), fx.tokenUrl);
  assert.equal((await machineTokenRequest(fx, machine, proof)).status, 200);
  const description = await expectError(await machineTokenRequest(fx, machine, proof), 'invalid_dpop_proof');
  assert.match(description, /jti was already used/);
  assert.equal(await rejectedCount(fx, 'replay'), 1);
  const audit = await (await fx.admin('/admin/audit?action=dpop_proof_replayed')).json();
  assert.equal(audit.events.length, 1);
  assert.equal(audit.events[0].client_id, machine.client.client_id);
});

test('concurrent requests with one proof: exactly one is accepted', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const proof = await handProof(await proofKey(), fx.tokenUrl);
  const statuses = (await Promise.all(Array.from({ length: 8 }, () => machineTokenRequest(fx, machine, proof)))).map((r) => r.status);
  assert.deepEqual(statuses.sort(), [200, 400, 400, 400, 400, 400, 400, 400]);
});

test('a proof for another method or another URL is refused', async (t) => {
  const fx = await dpopServer(t);
  const key = await proofKey();
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, { htm: 'GET' })), /htm 'GET' does not match the request method POST/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, { htm: 'post' })), /htm/);
  assert.match(await rejected(fx, await handProof(key, `${fx.url}/oauth/introspect`)), /htu '.*\/oauth\/introspect' does not match/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl.replace('127.0.0.1', 'localhost'))), /htu/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl.replace('http:', 'https:'))), /htu/);
  assert.equal(await rejectedCount(fx, 'htm_mismatch'), 2);
  assert.equal(await rejectedCount(fx, 'htu_mismatch'), 3);
});

test('htu is compared after RFC 9449 normalisation: case of scheme and host, query and fragment ignored', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const key = await proofKey();
  const variant = `${fx.tokenUrl.replace('http://', 'HTTP://')}?foo=bar#frag`;
  assert.equal((await machineTokenRequest(fx, machine, await handProof(key, variant))).status, 200);
  const escaped = fx.tokenUrl.replace('/token', '/%74oken');
  assert.equal((await machineTokenRequest(fx, machine, await handProof(key, escaped))).status, 200, 'unreserved escapes decode');
});

test('a stale or future iat beyond proofLifetime is refused; skew within it is accepted', async (t) => {
  const fx = await dpopServer(t, { dpop: { proofLifetime: 30 } });
  const machine = await fx.machineClient();
  const key = await proofKey();
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, { iat: now() - 45 })), /iat is 4\d s old; proofs are accepted for 30 s/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, { iat: now() + 45 })), /iat is 4\d s in the future/);
  assert.equal(await rejectedCount(fx, 'iat'), 2);
  for (const iat of [now() - 20, now() + 20]) {
    assert.equal((await machineTokenRequest(fx, machine, await handProof(key, fx.tokenUrl, { iat }))).status, 200, `iat ${iat}`);
  }
});

test('alg none and HMAC proofs are refused before anything else is looked at', async (t) => {
  const fx = await dpopServer(t);
  const key = await proofKey();
  const claims = { htm: 'POST', htu: fx.tokenUrl, jti: randomUUID(), iat: now() };
  const unsigned = `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })}.${b64(claims)}.`;
  assert.match(await rejected(fx, unsigned), /alg 'none' is refused/);
  const hmac = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(new TextEncoder().encode('a shared secret that proves nothing'));
  assert.match(await rejected(fx, hmac), /alg 'HS256' is refused/);
  const es384 = await proofKey('ES384');
  assert.match(await rejected(fx, await handProof(es384, fx.tokenUrl)), /alg 'ES384' is not supported/);
  assert.equal(await rejectedCount(fx, 'alg'), 3);
});

test('a jwk carrying the private key is refused, as are symmetric and mismatched keys', async (t) => {
  const fx = await dpopServer(t);
  const key = await proofKey();
  const privateJwk = await exportJWK(key.privateKey);
  assert.ok(privateJwk.d);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, {}, { jwk: privateJwk })), /must be a public key; it carries the private member 'd'/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, {}, { jwk: { kty: 'oct', k: 'c2VjcmV0' } })), /private member 'k'/);
  const rsa = await proofKey('RS256');
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, {}, { jwk: rsa.jwk })), /not a usable ES256 public key/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, {}, { jwk: 'not an object' })), /jwk object/);
  assert.equal(await rejectedCount(fx, 'jwk'), 4);
});

test('a signature by another key than the jwk, a wrong typ and a malformed proof are refused', async (t) => {
  const fx = await dpopServer(t);
  const key = await proofKey();
  const other = await proofKey();
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, {}, { jwk: other.jwk })), /signature does not verify/);
  // The genuine signature with the unused low bits of its last character set: the same bytes, another spelling.
  const proof = await handProof(key, fx.tokenUrl);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const respelled = `${proof.slice(0, -1)}${alphabet[alphabet.indexOf(proof.at(-1)!) | 1]}`;
  assert.ok(Buffer.from(respelled.split('.')[2]!, 'base64url').equals(Buffer.from(proof.split('.')[2]!, 'base64url')));
  assert.match(await rejected(fx, respelled), /not canonical base64url/);
  assert.equal(await rejectedCount(fx, 'bad_signature'), 2);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, {}, { typ: 'JWT' })), /typ must be 'dpop\+jwt'/);
  assert.equal(await rejectedCount(fx, 'typ'), 1);
  assert.match(await rejected(fx, 'not-a-jws'), /compact JWS/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, { jti: undefined })), /jti/);
  assert.match(await rejected(fx, await handProof(key, fx.tokenUrl, { iat: 'yesterday' })), /numeric iat/);
  assert.equal(await rejectedCount(fx, 'malformed'), 3);
});

test('two DPoP headers on one request are refused', async (t) => {
  const fx = await dpopServer(t);
  const machine = await fx.machineClient();
  const key = await proofKey();
  const response = await postWithHeaderLines(
    fx.tokenUrl,
    {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${machine.client.client_id}:${machine.secret}`).toString('base64')}`,
      dpop: [await handProof(key, fx.tokenUrl), await handProof(key, fx.tokenUrl)],
    },
    new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE_URI }).toString(),
  );
  assert.equal(response.status, 400);
  const body = JSON.parse(response.body);
  assert.equal(body.error, 'invalid_dpop_proof');
  assert.match(body.error_description, /exactly one DPoP header/);
  assert.equal(await rejectedCount(fx, 'multiple_headers'), 1);
});

test('proofs are checked for every grant: a bad proof stops a refresh before the grant runs', async (t) => {
  const fx = await dpopServer(t);
  const response = await fetch(fx.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: 'x.y.z' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'unknown', client_id: fx.clientId }),
  });
  await expectError(response, 'invalid_dpop_proof');
});
