import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { getCode, redeem, refresh, tokenRequest } from './flow.js';
import { oauthServer, REDIRECT_URI, RESOURCE_URI } from './setup.js';

test('the code grant answers access_token, Bearer, expires_in, refresh_token and scope, never cached', async (t) => {
  const fx = await oauthServer(t);
  const { code, verifier } = await getCode(fx);
  const response = await redeem(fx, code, verifier, { resource: RESOURCE_URI });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = await response.json();
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 900);
  assert.equal(body.scope, 'tools/read');
  assert.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  const jwks = createLocalJWKSet(await (await fetch(`${fx.url}/.well-known/jwks.json`)).json());
  const { payload } = await jwtVerify(body.access_token, jwks, { audience: RESOURCE_URI, issuer: fx.url, typ: 'at+jwt' });
  assert.equal(payload.exp! - payload.iat!, 900);
});

test('code redemption errors: wrong verifier, wrong redirect URI, another client, unknown code, bad client', async (t) => {
  const fx = await oauthServer(t);
  const expectError = async (response: Response, status: number, error: string) => {
    const body = await response.json();
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.error, error);
  };
  let c = await getCode(fx);
  await expectError(await redeem(fx, c.code, 'x'.repeat(43)), 400, 'invalid_grant');
  c = await getCode(fx);
  await expectError(await redeem(fx, c.code, c.verifier, { redirect_uri: 'http://127.0.0.1:8765/other' }), 400, 'invalid_grant');
  c = await getCode(fx);
  const other = await fx.createClient({ client_name: 'Other' });
  await expectError(await redeem(fx, c.code, c.verifier, { client_id: other.client_id }), 400, 'invalid_grant');
  await expectError(await redeem(fx, 'no-such-code', c.verifier), 400, 'invalid_grant');
  await expectError(await redeem(fx, c.code, c.verifier, { client_id: 'ghost' }), 401, 'invalid_client');
  c = await getCode(fx);
  await expectError(await redeem(fx, c.code, c.verifier, { resource: 'https://other.example.com/mcp' }), 400, 'invalid_target');
  await expectError(await tokenRequest(fx, { grant_type: 'authorization_code', client_id: fx.clientId, code: 'x' }), 400, 'invalid_request');
  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_auth_denied_total\{reason="invalid_pkce"\} 1/);
});

test('a confidential client authenticates with Basic (URL-decoded parts) or form post; a wrong secret is 401', async (t) => {
  const fx = await oauthServer(t);
  const confidential = await fx.createClient({ token_endpoint_auth_method: 'client_secret_basic' });
  const { code, verifier } = await getCode(fx, { client_id: confidential.client_id });
  const basic = (secret: string) =>
    `Basic ${Buffer.from(`${encodeURIComponent(confidential.client_id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const bad = await tokenRequest(
    fx,
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI },
    { authorization: basic('wrong') },
  );
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get('www-authenticate') ?? '', /^Basic/);
  const good = await tokenRequest(
    fx,
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI },
    { authorization: basic(confidential.client_secret!) },
  );
  assert.equal(good.status, 200, await good.clone().text());
});

test('of 100 concurrent redemptions of one code exactly one succeeds, and the replay revokes what it issued', async (t) => {
  const fx = await oauthServer(t);
  const { code, verifier } = await getCode(fx);
  const responses = await Promise.all(Array.from({ length: 100 }, () => redeem(fx, code, verifier)));
  const ok = responses.filter((r) => r.status === 200);
  assert.equal(ok.length, 1);
  assert.ok(responses.filter((r) => r.status === 400).length === 99);
  const tokens = await ok[0]!.json();
  const after = await refresh(fx, tokens.refresh_token);
  assert.equal(after.status, 400, 'the replays revoked the refresh family the code produced');
  assert.equal((await after.json()).error, 'invalid_grant');
});
