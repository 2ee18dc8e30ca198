/**
 * Client authentication at the token endpoint: the kernel reads RFC 6749 §2.3.1's methods (none,
 * client_secret_basic, client_secret_post) itself, and any other method comes from a plugin through its
 * `clientAuthMethods` authenticator's `present` — here an assertion method shaped like private_key_jwt.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import { clientCredentials, clients, resources } from 'authplane/plugins';
import { ASSERTION_METHOD, assertionAuth, JWT_BEARER_ASSERTION } from '../fixtures/plugins/assertion-auth.js';
import { startServer } from '../helpers/server.js';

const CLIENT_ID = 'assertion-client';

async function assertionServer(t: TestContext) {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = await startServer(t, {
    exactIssuer: true,
    plugins: [clients(), resources(), clientCredentials(), assertionAuth({ clientId: CLIENT_ID, publicKey: keys.publicKey, scope: 'tools/read' })],
  });
  const sign = (privateKey = keys.privateKey, claims: { sub?: string; aud?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(CLIENT_ID)
      .setSubject(claims.sub ?? CLIENT_ID)
      .setAudience(claims.aud ?? `${server.url}/oauth/token`)
      .setIssuedAt()
      .setExpirationTime('1m')
      .setJti(crypto.randomUUID())
      .sign(privateKey);
  return { ...server, sign };
}

async function token(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, string> };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

test('a plugin adds an assertion authentication method through clientAuthMethods and its client gets a token with it', async (t) => {
  const fx = await assertionServer(t);
  const discovery = await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json();
  assert.ok(discovery.token_endpoint_auth_methods_supported.includes(ASSERTION_METHOD), 'discovery lists the method');

  const ok = await token(fx.url, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: await fx.sign() });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const claims = decodeJwt(ok.body.access_token!);
  assert.equal(claims.sub, CLIENT_ID);
  assert.equal(claims.client_id, CLIENT_ID);

  const withClientId = await token(fx.url, {
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_assertion_type: JWT_BEARER_ASSERTION,
    client_assertion: await fx.sign(),
  });
  assert.equal(withClientId.status, 200, 'a client_id naming the same client is fine (RFC 7521 §4.2)');
});

test("an assertion the plugin's authenticate rejects is invalid_client 401, like a wrong secret", async (t) => {
  const fx = await assertionServer(t);
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  for (const assertion of [await fx.sign(stranger), await fx.sign(undefined, { aud: 'https://elsewhere.example/token' })]) {
    const refused = await token(fx.url, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: assertion });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
    assert.equal(refused.body.error_description, 'client authentication failed');
  }
});

test("the plugin's present refuses a malformed presentation with its own error", async (t) => {
  const fx = await assertionServer(t);
  const refused = await token(fx.url, { grant_type: 'client_credentials', client_assertion_type: 'urn:example:saml', client_assertion: 'x' });
  assert.equal(refused.status, 400);
  assert.deepEqual([refused.body.error, refused.body.error_description], ['invalid_request', 'unsupported client_assertion_type']);
});

test('an assertion with a client_secret, or with Basic credentials, is two methods: invalid_request (RFC 6749 §2.3)', async (t) => {
  const fx = await assertionServer(t);
  const form = { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: await fx.sign() };
  for (const [extra, headers] of [
    [{ client_id: CLIENT_ID, client_secret: 'x' }, {}],
    [{}, { authorization: basic(CLIENT_ID, 'x') }],
  ] as const) {
    const refused = await token(fx.url, { ...form, ...extra }, headers);
    assert.equal(refused.status, 400);
    assert.deepEqual([refused.body.error, refused.body.error_description], ['invalid_request', 'the client used more than one authentication method']);
  }
});

test('a client_id naming another client than the assertion is invalid_client', async (t) => {
  const fx = await assertionServer(t);
  const refused = await token(fx.url, {
    grant_type: 'client_credentials',
    client_id: 'someone-else',
    client_assertion_type: JWT_BEARER_ASSERTION,
    client_assertion: await fx.sign(),
  });
  assert.equal(refused.status, 401);
  assert.deepEqual([refused.body.error, refused.body.error_description], ['invalid_client', 'client_id does not match the authenticated client']);
});

test('without a plugin for assertions, client_assertion is an unrecognized parameter: the client is refused as invalid_client', async (t) => {
  const fx = await startServer(t, { plugins: [clients(), resources(), clientCredentials()] });
  const created = await fx.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({
      client_name: 'Machine',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'tools/read',
    }),
  });
  assert.equal(created.status, 201);
  const { client_id: clientId, client_secret: secret } = (await created.json()) as { client_id: string; client_secret: string };
  const assertion = { client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' };

  const named = await token(fx.url, { grant_type: 'client_credentials', client_id: clientId, ...assertion });
  assert.equal(named.status, 401);
  assert.deepEqual([named.body.error, named.body.error_description], ['invalid_client', 'client must authenticate with client_secret_basic, not none']);
  assert.match(named.headers.get('www-authenticate') ?? '', /^Basic /);

  const anonymous = await token(fx.url, { grant_type: 'client_credentials', ...assertion });
  assert.equal(anonymous.status, 401);
  assert.deepEqual([anonymous.body.error, anonymous.body.error_description], ['invalid_client', 'client authentication is required']);

  // Basic with the right secret and the unrecognized parameters beside it: one method, and it works.
  const ok = await token(fx.url, { grant_type: 'client_credentials', ...assertion }, { authorization: basic(clientId, secret) });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));

  const both = await token(fx.url, { grant_type: 'client_credentials', client_secret: secret }, { authorization: basic(clientId, secret) });
  assert.equal(both.status, 400);
  assert.deepEqual([both.body.error, both.body.error_description], ['invalid_request', 'the client used more than one authentication method']);
});
