import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { HELLO_GRANT, helloPlugin } from '../fixtures/plugins/hello-plugin.js';
import { startServer } from '../helpers/server.js';

const SECRET = 'fixture-client-secret-0123456789';
const SESSION_SECRET = 'Vq3nX8pL2sK9dR4tW7yB1cM6hJ5gF0aZ';

async function serverWithIssuer(t: TestContext, issuer: string) {
  return startServer(t, {
    plugins: [helloPlugin()],
    env: { AUTHPLANE_SERVER_ISSUER: issuer, AUTHPLANE_SESSION_SECRET: SESSION_SECRET, AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET: SECRET },
  });
}

async function bothDocuments(url: string) {
  const oauth = await fetch(`${url}/.well-known/oauth-authorization-server`);
  const oidc = await fetch(`${url}/.well-known/openid-configuration`);
  assert.equal(oauth.status, 200);
  assert.equal(oidc.status, 200);
  const [oauthText, oidcText] = [await oauth.text(), await oidc.text()];
  assert.equal(oauthText, oidcText, 'both paths serve the same bytes');
  assert.equal(oauth.headers.get('etag'), oidc.headers.get('etag'));
  return { document: JSON.parse(oauthText) as Record<string, unknown>, response: oauth, raw: oauthText };
}

for (const issuer of ['https://auth.example.com/tenant/', 'https://auth.example.com/tenant', 'http://localhost:9000']) {
  test(`discovery issuer is byte-for-byte "${issuer}" on both well-known paths and in tokens`, async (t) => {
    const { url } = await serverWithIssuer(t, issuer);
    const { document, raw } = await bothDocuments(url);
    assert.equal(document.issuer, issuer, 'no slash added or removed');
    assert.ok(raw.includes(`"issuer":${JSON.stringify(issuer)}`));
    const base = issuer.replace(/\/$/, '');
    assert.equal(document.jwks_uri, `${base}/.well-known/jwks.json`);
    assert.equal(document.token_endpoint, `${base}/oauth/token`);
    assert.deepEqual(document.grant_types_supported, [HELLO_GRANT]);
    assert.deepEqual(document.token_endpoint_auth_methods_supported, ['client_secret_basic']);
    assert.equal(document.hello_supported, true, 'a field contributed by a plugin');

    const token = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`hello-client:${SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: HELLO_GRANT, name: 'bob' }),
    });
    const jwks = createLocalJWKSet(await (await fetch(`${url}/.well-known/jwks.json`)).json());
    const { payload } = await jwtVerify((await token.json()).access_token, jwks, { issuer });
    assert.equal(payload.iss, issuer);
  });
}

test('the discovery document is cached for 300 s with a strong ETag and answers 304 to If-None-Match', async (t) => {
  const { url } = await serverWithIssuer(t, 'https://auth.example.com');
  const { response } = await bothDocuments(url);
  assert.match(response.headers.get('cache-control') ?? '', /(^|[ ,])max-age=300($|[ ,])/);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const etag = response.headers.get('etag')!;
  assert.match(etag, /^"[^"]+"$/);
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    const cached = await fetch(`${url}${path}`, { headers: { 'if-none-match': etag } });
    assert.equal(cached.status, 304, path);
  }
});

test('without any grant plugin the document advertises no token endpoint', async (t) => {
  const { url } = await startServer(t);
  const { document } = await bothDocuments(url);
  assert.equal(document.issuer, 'http://localhost:9000');
  assert.equal(document.jwks_uri, 'http://localhost:9000/.well-known/jwks.json');
  assert.equal(document.token_endpoint, undefined);
  assert.equal(document.grant_types_supported, undefined);
});
