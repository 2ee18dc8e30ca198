import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { authplane, confidentialClient, decodePayload } from './fixture.js';
import { startSdkProtectedMcp } from './mcp.js';

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { privateKey, jwk: await exportJWK(publicKey) };
}

/** A DPoP proof made with jose, independently of the SDK; claims override the correct ones. */
function proof(key: Key, htu: string, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ htm: 'POST', htu, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');
const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

test('DPoP-bound tokens from AuthPlane are verified against the proof on each request', async (t) => {
  const fx = await authplane(t);
  const mcp = await startSdkProtectedMcp(t, fx);
  const prmUrl = mcp.auth.resourceMetadataUrl;
  const machine = await confidentialClient(fx);
  const key = await newKey();

  // The token is bound by AuthPlane's dpop plugin: a client_credentials request with a proof for the token endpoint.
  const tokenResponse = await fetch(`${fx.url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
      dpop: await proof(key, `${fx.url}/oauth/token`),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'tools/read', resource: mcp.url }),
  });
  const body = await tokenResponse.json();
  assert.equal(tokenResponse.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'DPoP');
  const token = body.access_token as string;
  assert.equal((decodePayload(token).cnf as { jkt: string }).jkt, await calculateJwkThumbprint(key.jwk));

  const send = (headers: Record<string, string>) =>
    fetch(mcp.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: call });
  const refusedWith = async (response: Response, error: string) => {
    assert.equal(response.status, 401);
    const challenge = response.headers.get('www-authenticate')!;
    assert.match(challenge, new RegExp(`^DPoP resource_metadata="${prmUrl}", scope="tools/read", error="${error}", error_description="[^"]+", algs="ES256 RS256 PS256 EdDSA"$`));
    return challenge;
  };

  await t.test('a DPoP-bound token with a right proof is accepted', async () => {
    const response = await send({ authorization: `DPoP ${token}`, dpop: await proof(key, mcp.url, { ath: ath(token) }) });
    const result = await response.json();
    assert.equal(response.status, 200, JSON.stringify(result));
    assert.deepEqual(result.result.content, [{ type: 'text', text: machine.clientId }]);
  });

  await t.test('a proof signed by another key is refused with a DPoP challenge', async () => {
    const other = await newKey();
    const challenge = await refusedWith(await send({ authorization: `DPoP ${token}`, dpop: await proof(other, mcp.url, { ath: ath(token) }) }), 'invalid_token');
    assert.match(challenge, /not the key the token is bound to/);
  });

  await t.test('a proof whose signature is spelled other than canonically is refused', async () => {
    const good = await proof(key, mcp.url, { ath: ath(token) });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = `${good.slice(0, -1)}${alphabet[alphabet.indexOf(good.at(-1)!) | 1]}`;
    assert.ok(Buffer.from(respelled.split('.')[2]!, 'base64url').equals(Buffer.from(good.split('.')[2]!, 'base64url')));
    const challenge = await refusedWith(await send({ authorization: `DPoP ${token}`, dpop: respelled }), 'invalid_dpop_proof');
    assert.match(challenge, /not canonical base64url/);
  });

  await t.test('a replayed proof is refused', async () => {
    const once = await proof(key, mcp.url, { ath: ath(token) });
    assert.equal((await send({ authorization: `DPoP ${token}`, dpop: once })).status, 200);
    const challenge = await refusedWith(await send({ authorization: `DPoP ${token}`, dpop: once }), 'invalid_dpop_proof');
    assert.match(challenge, /already used/);
  });

  await t.test('a proof without ath is refused', async () => {
    const challenge = await refusedWith(await send({ authorization: `DPoP ${token}`, dpop: await proof(key, mcp.url) }), 'invalid_dpop_proof');
    assert.match(challenge, /no ath/);
  });

  await t.test('a proof for another URL, another method or from long ago is refused', async () => {
    await refusedWith(await send({ authorization: `DPoP ${token}`, dpop: await proof(key, `${mcp.url}/other`, { ath: ath(token) }) }), 'invalid_dpop_proof');
    await refusedWith(await send({ authorization: `DPoP ${token}`, dpop: await proof(key, mcp.url, { ath: ath(token), htm: 'GET' }) }), 'invalid_dpop_proof');
    const stale = Math.floor(Date.now() / 1000) - 120;
    await refusedWith(await send({ authorization: `DPoP ${token}`, dpop: await proof(key, mcp.url, { ath: ath(token), iat: stale }) }), 'invalid_dpop_proof');
  });

  await t.test('a DPoP-bound token presented as a bearer token is refused', async () => {
    await refusedWith(await send({ authorization: `Bearer ${token}` }), 'invalid_token');
  });

  await t.test('a token that is not DPoP-bound is refused under the DPoP scheme', async () => {
    const plain = await fetch(`${fx.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'tools/read', resource: mcp.url }),
    });
    const bearer = (await plain.json()).access_token as string;
    await refusedWith(await send({ authorization: `DPoP ${bearer}`, dpop: await proof(key, mcp.url, { ath: ath(bearer) }) }), 'invalid_token');
    assert.equal((await send({ authorization: `Bearer ${bearer}` })).status, 200);
  });
});
