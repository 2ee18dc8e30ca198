/**
 * private_key_jwt client authentication (RFC 7523 §2.2, §3): clients registered with `jwks` or `jwks_uri` sign an
 * assertion per request, at the token, introspection and revocation endpoints; the MCP SDK's providers complete
 * against the server.
 */
import assert from 'node:assert/strict';
import { KeyObject, sign as nodeSign } from 'node:crypto';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { dcr } from 'authplane/plugins';
import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { CLIENT_ASSERTION_TYPE, clientAssertion, expectError, jwtServer, signingKey, startIssuer, type JwtFixture, type SigningKey } from './setup.js';

async function keyClient(fx: JwtFixture, key: SigningKey, body: Record<string, unknown> = {}) {
  return fx.createClient({
    client_name: 'Key client',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    scope: 'tools/read tools/write',
    jwks: { keys: [key.publicJwk] },
    ...body,
  });
}

const withAssertion = (assertion: string, body: Record<string, string>) => ({ ...body, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion });

test('discovery advertises private_key_jwt and its signing algorithms for every endpoint that takes it', async (t) => {
  const fx = await jwtServer(t);
  const doc = await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json();
  assert.ok(doc.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
  for (const endpoint of ['token', 'introspection', 'revocation']) {
    assert.deepEqual(doc[`${endpoint}_endpoint_auth_signing_alg_values_supported`], ['ES256', 'RS256', 'PS256', 'EdDSA'], endpoint);
  }
  assert.ok(doc.introspection_endpoint_auth_methods_supported.includes('private_key_jwt'));
});

test('a client with inline jwks gets a token with ES256, RS256, PS256 and EdDSA assertions, each jti only once', async (t) => {
  const fx = await jwtServer(t);
  for (const alg of ['ES256', 'RS256', 'PS256', 'EdDSA']) {
    const key = await signingKey(alg);
    const client = await keyClient(fx, key);
    assert.equal(client.client_secret, undefined, 'no secret is issued to a private_key_jwt client');
    const assertion = await clientAssertion(key, client.client_id, fx.tokenUrl);
    const response = await fx.post(withAssertion(assertion, { grant_type: 'client_credentials' }));
    const body = await response.json();
    assert.equal(response.status, 200, `${alg}: ${JSON.stringify(body)}`);
    assert.equal(decodeJwt(body.access_token).client_id, client.client_id);
    // RFC 7523 §3 item 7: the same jti again is a replay.
    await expectError(await fx.post(withAssertion(assertion, { grant_type: 'client_credentials' })), 'invalid_client', 401);
  }
});

test('the assertion authenticates at introspection and revocation, with our issuer as aud', async (t) => {
  const fx = await jwtServer(t);
  const key = await signingKey();
  const client = await keyClient(fx, key);
  const issuer = (await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json()).issuer as string;
  const token = (await (await fx.post(withAssertion(await clientAssertion(key, client.client_id, issuer), { grant_type: 'client_credentials' }))).json()).access_token;
  const introspected = await fx.post(withAssertion(await clientAssertion(key, client.client_id, `${fx.url}/oauth/introspect`), { token }), {}, '/oauth/introspect');
  assert.equal(introspected.status, 200);
  assert.equal((await introspected.json()).active, true);
  const revoked = await fx.post(withAssertion(await clientAssertion(key, client.client_id, issuer), { token }), {}, '/oauth/revoke');
  assert.equal(revoked.status, 200);
  const after = await fx.post(withAssertion(await clientAssertion(key, client.client_id, issuer), { token }), {}, '/oauth/introspect');
  assert.equal((await after.json()).active, false);
});

test('a client publishing its keys at a jwks_uri authenticates, and a key it rotates in is fetched again', async (t) => {
  const fx = await jwtServer(t);
  const host = await startIssuer(t);
  const client = await keyClient(fx, host.key, { jwks: undefined, jwks_uri: `${host.issuer}/keys` });
  const first = await fx.post(withAssertion(await clientAssertion(host.key, client.client_id, fx.tokenUrl), { grant_type: 'client_credentials' }));
  assert.equal(first.status, 200, JSON.stringify(await first.clone().json()));
  const rotated = await host.rotate();
  const second = await fx.post(withAssertion(await clientAssertion(rotated, client.client_id, fx.tokenUrl), { grant_type: 'client_credentials' }));
  assert.equal(second.status, 200, JSON.stringify(await second.clone().json()));
  assert.equal(host.jwksFetches, 2, 'the unknown kid refetched the set once');
});

test('HMAC, none, a wrong audience, a far exp, an expired one and a wrong key are refused with invalid_client', async (t) => {
  const fx = await jwtServer(t);
  const key = await signingKey();
  const client = await keyClient(fx, key);
  const now = Math.floor(Date.now() / 1000);
  const hmac = await new SignJWT({ iss: client.client_id, sub: client.client_id, aud: fx.tokenUrl, exp: now + 60, jti: 'h1' })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode('a shared secret that is long enough for HS256'));
  const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: client.client_id, sub: client.client_id, aud: fx.tokenUrl, exp: now + 60, jti: 'n1' })).toString('base64url')}.`;
  const other = await signingKey();
  const cases = {
    hmac,
    none,
    audience: await clientAssertion(key, client.client_id, 'https://elsewhere.example.com'),
    lifetime: await clientAssertion(key, client.client_id, fx.tokenUrl, { exp: now + 3600 }),
    expired: await clientAssertion(key, client.client_id, fx.tokenUrl, { exp: now - 600, iat: now - 700 }),
    wrongKey: await clientAssertion(other, client.client_id, fx.tokenUrl, {}, { kid: key.kid }),
  };
  for (const [name, assertion] of Object.entries(cases)) {
    const description = await expectError(await fx.post(withAssertion(assertion, { grant_type: 'client_credentials' })), 'invalid_client', 401).catch((err) => {
      throw new Error(`${name}: ${err.message}`);
    });
    assert.ok(description.length > 0, name);
  }
  // A client registered for secrets cannot switch to an assertion, nor the other way round.
  await expectError(await fx.post({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: 'guess' }), 'invalid_client', 401);
  await expectError(await fx.post({ grant_type: 'client_credentials', client_assertion_type: 'urn:example:saml', client_assertion: 'x' }), 'invalid_client', 401);
});

test('each refusal is counted by its reason: replay, DER signature, unknown kid, alg none, audience, expiry, crit', async (t) => {
  const fx = await jwtServer(t);
  const key = await signingKey('ES256');
  const client = await keyClient(fx, key);
  const id = client.client_id;
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: id, sub: id, aud: fx.tokenUrl, iat: now, exp: now + 60 };
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signedByNode = (header: Record<string, unknown>, jti: string, dsaEncoding: 'der' | 'ieee-p1363') => {
    const input = `${b64({ alg: 'ES256', kid: key.kid, ...header })}.${b64({ ...claims, jti })}`;
    return `${input}.${nodeSign('sha256', Buffer.from(input), { key: KeyObject.from(key.privateKey), dsaEncoding }).toString('base64url')}`;
  };
  const used = await clientAssertion(key, id, fx.tokenUrl);
  assert.equal((await fx.post(withAssertion(used, { grant_type: 'client_credentials' }))).status, 200);
  assert.equal((await fx.post(withAssertion(signedByNode({}, 'raw', 'ieee-p1363'), { grant_type: 'client_credentials' }))).status, 200);
  const refused = {
    replayed: used,
    invalid_signature: signedByNode({}, 'der', 'der'),
    unknown_kid: await clientAssertion(key, id, fx.tokenUrl, {}, { kid: 'not-registered' }),
    unsupported_alg: `${b64({ alg: 'none' })}.${b64({ ...claims, jti: 'none' })}.`,
    wrong_audience: await clientAssertion(key, id, 'https://elsewhere.example.com'),
    expired: await clientAssertion(key, id, fx.tokenUrl, { exp: now - 600, iat: now - 700 }),
    malformed: signedByNode({ crit: ['urn:example:ext'], 'urn:example:ext': true }, 'crit', 'ieee-p1363'),
  };
  for (const [reason, assertion] of Object.entries(refused)) {
    await expectError(await fx.post(withAssertion(assertion, { grant_type: 'client_credentials' })), 'invalid_client', 401);
    const metrics = await (await fx.admin('/metrics')).text();
    assert.match(metrics, new RegExp(`authplane_xaa_client_assertions_rejected_total\\{reason="${reason}"\\} 1\\b`), reason);
  }
});

test('registration refuses private or symmetric keys, both jwks and jwks_uri, and a jwks_uri in the clear', async (t) => {
  const fx = await jwtServer(t);
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const bodies = [
    { jwks: { keys: [await exportJWK(privateKey)] } },
    { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
    { jwks: { keys: [(await signingKey()).publicJwk] }, jwks_uri: 'https://keys.example.com/jwks' },
    { jwks: undefined, jwks_uri: 'http://keys.example.com/jwks' },
  ];
  for (const extra of bodies) {
    const response = await fx.admin('/admin/clients', {
      method: 'POST',
      body: JSON.stringify({ client_name: 'Bad keys', redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'tools/read', ...extra }),
    });
    const body = await response.json();
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.match(JSON.stringify(body.errors), /jwks/);
  }
});

test("the MCP SDK's PrivateKeyJwtProvider and ClientCredentialsProvider complete against the server", async (t) => {
  const fx = await jwtServer(t);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const key = { kid: 'sdk', alg: 'ES256', privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: 'sdk', alg: 'ES256' } };
  const client = await keyClient(fx, key);
  const provider = new PrivateKeyJwtProvider({ clientId: client.client_id, privateKey: await exportJWK(privateKey) as Record<string, unknown>, algorithm: 'ES256', expectedIssuer: fx.url });
  assert.equal(await auth(provider, { serverUrl: fx.url }), 'AUTHORIZED');
  assert.equal(decodeJwt(provider.tokens()!.access_token).client_id, client.client_id);

  const secretClient = await fx.createClient({ client_name: 'Secret', redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'tools/read' });
  const secretProvider = new ClientCredentialsProvider({ clientId: secretClient.client_id, clientSecret: secretClient.client_secret!, expectedIssuer: fx.url });
  assert.equal(await auth(secretProvider, { serverUrl: fx.url }), 'AUTHORIZED');
  assert.equal(decodeJwt(secretProvider.tokens()!.access_token).sub, secretClient.client_id);
});

test('a client registered through DCR with jwks authenticates with private_key_jwt; a private key in jwks is refused', async (t) => {
  const fx = await jwtServer(t, { extra: [dcr({ mode: 'open' })] });
  const key = await signingKey();
  const register = (body: Record<string, unknown>) =>
    fetch(`${fx.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Keyed agent', redirect_uris: ['http://127.0.0.1:8765/callback'], token_endpoint_auth_method: 'private_key_jwt', ...body }),
    });
  const response = await register({ jwks: { keys: [key.publicJwk] } });
  const registered = await response.json();
  assert.equal(response.status, 201, JSON.stringify(registered));
  assert.equal(registered.client_secret, undefined);
  assert.deepEqual(registered.jwks, { keys: [key.publicJwk] });
  const introspected = await fx.post(withAssertion(await clientAssertion(key, registered.client_id, fx.tokenUrl), { token: 'not-a-token' }), {}, '/oauth/introspect');
  assert.equal(introspected.status, 200);
  assert.equal((await introspected.json()).active, false);

  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const refused = await register({ jwks: { keys: [await exportJWK(privateKey)] } });
  const body = await refused.json();
  assert.equal(refused.status, 400);
  assert.equal(body.error, 'invalid_client_metadata');
  assert.match(body.error_description, /jwks\.keys\.0: must be a public key/);
});
