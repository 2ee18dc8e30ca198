/**
 * RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once." Every public route of a
 * server with every default plugin is in the table below, with the parameters it reads and where it reads them;
 * the test repeats each one. A route added without an entry fails the test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients, oauth, resources, users } from 'authplane/plugins';
import { defaultPlugins } from '../../../plugins/preset-default.js';
import { basePlugins, startServer } from '../../helpers/server.js';

const AUTHORIZE = {
  response_type: 'code',
  client_id: 'ap_client',
  redirect_uri: 'http://127.0.0.1:8765/callback',
  scope: 'tools/read',
  state: 'xyz',
  code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  code_challenge_method: 'S256',
  resource: 'https://mcp.example.com/mcp',
};
const CLIENT_AUTH = {
  client_id: 'ap_client',
  client_secret: 'secret',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln',
};

type Entry =
  | { in: 'query' | 'form'; errors: 'page' | 'oauth'; params: Record<string, string> }
  /** The route reads no query or form parameter (a fixed document, a probe, a JSON body). */
  | { in: 'none'; why: string };

const ROUTES: Record<string, Entry> = {
  'GET /login': { in: 'query', errors: 'page', params: { return_to: '/oauth/authorize?client_id=ap_client' } },
  'POST /login': {
    in: 'form',
    errors: 'page',
    params: { email: 'ada@example.com', password: 'pw', csrf_token: 'token', return_to: '/consent?client_id=ap_client' },
  },
  // The provider's name is ':name' here, unknown: the parameters are checked before the provider is looked up.
  'GET /login/:name': { in: 'query', errors: 'page', params: { return_to: '/oauth/authorize?client_id=ap_client' } },
  'GET /login/:name/callback': { in: 'query', errors: 'page', params: { code: 'upstream-code', state: 'xyz' } },
  'POST /login/:name/callback': { in: 'form', errors: 'page', params: { csrf_token: 'token', return_to: '/consent?client_id=ap_client' } },
  'GET /logout': { in: 'none', why: 'shows the sign-out form' },
  'POST /logout': { in: 'form', errors: 'page', params: { csrf_token: 'token' } },
  'GET /oauth/authorize': { in: 'query', errors: 'page', params: AUTHORIZE },
  'GET /consent': { in: 'query', errors: 'page', params: AUTHORIZE },
  'POST /consent': { in: 'form', errors: 'page', params: { ...AUTHORIZE, csrf_token: 'token', decision: 'allow' } },
  'POST /oauth/token': {
    in: 'form',
    errors: 'oauth',
    params: {
      grant_type: 'authorization_code',
      code: 'code',
      redirect_uri: AUTHORIZE.redirect_uri,
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      refresh_token: 'refresh',
      scope: 'tools/read',
      resource: AUTHORIZE.resource,
      ...CLIENT_AUTH,
    },
  },
  'POST /oauth/introspect': { in: 'form', errors: 'oauth', params: { token: 'token', token_type_hint: 'access_token', ...CLIENT_AUTH } },
  'POST /oauth/revoke': { in: 'form', errors: 'oauth', params: { token: 'token', token_type_hint: 'refresh_token', ...CLIENT_AUTH } },
  'POST /oauth/register': { in: 'none', why: 'client metadata is a JSON body (RFC 7591)' },
  'GET /.well-known/oauth-authorization-server': { in: 'none', why: 'a fixed document' },
  'GET /.well-known/openid-configuration': { in: 'none', why: 'a fixed document' },
  'GET /.well-known/jwks.json': { in: 'none', why: 'a fixed document' },
  'GET /.well-known/oauth-protected-resource': { in: 'none', why: 'a document chosen by path' },
  'GET /.well-known/oauth-protected-resource/*path': { in: 'none', why: 'a document chosen by path' },
  'GET /health': { in: 'none', why: 'a probe' },
  'GET /ready': { in: 'none', why: 'a probe' },
  'GET /livez': { in: 'none', why: 'a probe' },
};

const decode = (html: string) => html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');

test('every HTML and OAuth route answers a repeated parameter with a 400 naming it, never a 500 or a redirect', async (t) => {
  const base = new Set(basePlugins().map((p) => p.definition.name));
  const fx = await startServer(t, {
    plugins: defaultPlugins().filter((p) => !base.has(p.definition.name)),
    // Dozens of requests from one address: the limit is not what this test is about.
    env: { AUTHPLANE_RATE_LIMIT_ENABLED: 'false' },
  });
  const served = fx.server.routes
    .list('public')
    .map((r) => `${r.method} ${r.path}`)
    .sort();
  assert.deepEqual(served, Object.keys(ROUTES).sort(), 'every public route has an entry in ROUTES, and every entry is a route');

  let checked = 0;
  for (const [route, entry] of Object.entries(ROUTES)) {
    if (entry.in === 'none') continue;
    const [method, path] = route.split(' ') as [string, string];
    for (const name of Object.keys(entry.params)) {
      const pairs = [...Object.entries(entry.params), [name, `${entry.params[name]}-again`]];
      const encoded = new URLSearchParams(pairs).toString();
      const response: Response = await fetch(`${fx.url}${path}${entry.in === 'query' ? `?${encoded}` : ''}`, {
        method,
        redirect: 'manual',
        ...(entry.in === 'form' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: encoded } : {}),
      });
      const what = `${route} with '${name}' twice`;
      const body = await response.text();
      assert.equal(response.status, 400, `${what}: ${response.status} ${body.slice(0, 200)}`);
      assert.equal(response.headers.get('location'), null, `${what}: never a redirect`);
      const description = `parameter '${name}' is included more than once`;
      if (entry.errors === 'page') {
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/, what);
        assert.ok(decode(body).includes(description), `${what}: the page names the parameter`);
      } else {
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/, what);
        assert.deepEqual(JSON.parse(body), { error: 'invalid_request', error_description: description }, what);
      }
      checked++;
    }
  }
  assert.ok(checked > 40, `${checked} repeated parameters checked`);
});

test('a repeated query parameter that a route does not read never makes it fail', async (t) => {
  const base = new Set(basePlugins().map((p) => p.definition.name));
  const fx = await startServer(t, {
    plugins: defaultPlugins().filter((p) => !base.has(p.definition.name)),
    env: { AUTHPLANE_RATE_LIMIT_ENABLED: 'false' },
  });
  for (const route of fx.server.routes.list('public')) {
    const path = route.path.replace('*path', 'mcp');
    const response = await fetch(`${fx.url}${path}?unknown=1&unknown=2`, { method: route.method, redirect: 'manual' });
    await response.arrayBuffer();
    assert.ok(response.status < 500, `${route.method} ${route.path}: ${response.status}`);
  }
});

test('a parameter sent once with a value and once without is not repeated: the empty one counts as omitted', async (t) => {
  const fx = await startServer(t, { plugins: [clients(), resources(), users(), oauth()] });
  const login = await fetch(`${fx.url}/login?return_to=${encodeURIComponent('/consent?client_id=x')}&return_to=`);
  assert.equal(login.status, 200);
  assert.match(await login.text(), /name="return_to" value="\/consent\?client_id=x"/);
  const token = await fetch(`${fx.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&grant_type=&client_id=nobody',
  });
  const body = await token.json();
  assert.notEqual(body.error_description, "parameter 'grant_type' is included more than once");
  assert.equal(body.error, 'invalid_client');
});
