import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { issuances } from 'authplane/plugins';
import { getCode, pkce, redeem, refresh, tokenRequest } from './flow.js';
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

test('a used code presented by another client or without its verifier is refused and revokes nothing', async (t) => {
  const fx = await oauthServer(t, { extra: [issuances()] });
  const other = await fx.createClient({ client_name: 'Other' });
  const confidential = await fx.createClient({ client_name: 'Other confidential', token_endpoint_auth_method: 'client_secret_post' });
  const { code, verifier } = await getCode(fx);
  const tokens = await (await redeem(fx, code, verifier)).json();
  assert.ok(tokens.refresh_token);

  // Whoever saw the used code (history, Referer, a proxy log) presents it: as another public client, as a
  // confidential one, with the verifier of another flow, and as the code's own public client without its verifier.
  const attempts: [Record<string, string>, string][] = [
    [{ client_id: other.client_id }, 'authorization code was issued to another client'],
    [{ client_id: confidential.client_id, client_secret: confidential.client_secret! }, 'authorization code was issued to another client'],
    [{ client_id: other.client_id, code_verifier: pkce().verifier }, 'authorization code was issued to another client'],
    [{ code_verifier: pkce().verifier }, 'code_verifier does not match the code_challenge'],
  ];
  for (const [extra, description] of attempts) {
    const response = await redeem(fx, code, verifier, extra);
    const body = await response.json();
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.deepEqual(body, { error: 'invalid_grant', error_description: description });
  }
  const issuance = await (await fx.admin(`/admin/issuances/${decodeJwt(tokens.access_token).jti}`)).json();
  assert.equal(issuance.status, 'active', 'the access token was not revoked');
  assert.equal((await refresh(fx, tokens.refresh_token)).status, 200, 'the refresh family lives');
  const audit = await (await fx.admin('/admin/audit?action=token_revoked')).json();
  assert.equal(audit.events.length, 0);

  // Another client presenting an unused code does not burn it for the client it was issued to.
  const fresh = await getCode(fx);
  assert.equal((await redeem(fx, fresh.code, fresh.verifier, { client_id: other.client_id })).status, 400);
  assert.equal((await redeem(fx, fresh.code, fresh.verifier)).status, 200);
});

test('the code\'s own client replaying it with its verifier revokes the tokens it produced', async (t) => {
  const fx = await oauthServer(t, { extra: [issuances()] });
  const { code, verifier } = await getCode(fx);
  const tokens = await (await redeem(fx, code, verifier)).json();
  const replay = await redeem(fx, code, verifier);
  assert.deepEqual(await replay.json(), { error: 'invalid_grant', error_description: 'authorization code was already used' });
  const issuance = await (await fx.admin(`/admin/issuances/${decodeJwt(tokens.access_token).jti}`)).json();
  assert.equal(issuance.status, 'revoked');
  assert.equal((await refresh(fx, tokens.refresh_token)).status, 400);
});

test('a code redeemed for another resource is invalid_target naming the resource received and the one authorized', async (t) => {
  const fx = await oauthServer(t);
  const { code, verifier } = await getCode(fx);
  const response = await redeem(fx, code, verifier, { resource: 'https://other.example.com/mcp' });
  assert.deepEqual(await response.json(), {
    error: 'invalid_target',
    error_description: `resource 'https://other.example.com/mcp' is not the resource of the authorization request ('${RESOURCE_URI}')`,
  });
});
