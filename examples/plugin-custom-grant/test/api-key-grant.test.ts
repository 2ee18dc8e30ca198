/**
 * The grant on a real server (authplane/testing): a confidential client exchanges an API key for an access token
 * signed by the server for the key's audience, an unknown key is refused the way RFC 6749 says, and a key written
 * into the config instead of its digest stops boot.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { clients } from 'authplane/plugins';
import { createClient, startServer } from 'authplane/testing';
import { API_KEY_GRANT, apiKeyGrant } from '../src/api-key-grant.js';

const API_KEY = 'ak_live_7f3c9e0b5d1a4c2e8b6f';
const AUDIENCE = 'https://reports.example.com/mcp';

async function setup(t: TestContext) {
  const digest = createHash('sha256').update(API_KEY).digest('hex');
  const keys = [{ sha256: digest, audience: AUDIENCE, subject: 'reporting-job', scope: 'reports/read' }];
  const srv = await startServer(t, { plugins: [clients(), apiKeyGrant({ keys })] });
  const client = await createClient(srv, { grant_types: [API_KEY_GRANT], scope: 'reports/read' });
  const exchange = (apiKey: string) =>
    fetch(`${srv.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: API_KEY_GRANT, api_key: apiKey }),
    });
  return { srv, client, exchange };
}

/** The token's claims, once its ES256 signature checks out against the server's JWKS. */
async function verifiedClaims(issuer: string, token: string): Promise<Record<string, unknown>> {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString());
  const { keys } = (await (await fetch(`${issuer}/.well-known/jwks.json`)).json()) as { keys: (JsonWebKey & { kid: string })[] };
  const key = createPublicKey({ key: keys.find((k) => k.kid === kid)!, format: 'jwk' });
  const signed = verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  assert.ok(signed, 'the access token is signed by a key of the JWKS');
  return JSON.parse(Buffer.from(payload, 'base64url').toString());
}

test('a client exchanges a known API key for a signed access token for the key\'s audience, subject and scope', async (t) => {
  const { srv, client, exchange } = await setup(t);
  const response = await exchange(API_KEY);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.deepEqual({ ...body, access_token: typeof body.access_token }, { access_token: 'string', token_type: 'Bearer', expires_in: 300, scope: 'reports/read' });
  const claims = await verifiedClaims(srv.url, body.access_token);
  assert.deepEqual(
    { aud: claims.aud, sub: claims.sub, scope: claims.scope, client_id: claims.client_id, lifetime: Number(claims.exp) - Number(claims.iat) },
    { aud: [AUDIENCE], sub: 'reporting-job', scope: 'reports/read', client_id: client.client_id, lifetime: 300 },
  );
});

test('an unknown API key is refused with invalid_grant, and a request without one with invalid_request', async (t) => {
  const { exchange } = await setup(t);
  const refused = await exchange('ak_live_not-a-key');
  assert.equal(refused.status, 400);
  assert.deepEqual(await refused.json(), { error: 'invalid_grant', error_description: 'the API key is not recognised' });
  const missing = await exchange('');
  assert.equal(missing.status, 400);
  assert.equal((await missing.json()).error, 'invalid_request');
});

test('a key configured by its value instead of its digest stops boot, naming the option', async (t) => {
  const keys = [{ sha256: API_KEY, audience: AUDIENCE, subject: 'reporting-job', scope: 'reports/read' }];
  await assert.rejects(startServer(t, { plugins: [clients(), apiKeyGrant({ keys })] }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'AP_ERR_CONFIG_INVALID');
    assert.match(err.message, /apiKeyGrant\.keys\.0\.sha256: must match pattern/);
    return true;
  });
});
