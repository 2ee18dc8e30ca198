import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dcrServer, PUBLIC_CLIENT } from './setup.js';

/** [what is wrong, the request body, the RFC 7591 §3.2.2 error, what error_description must say] */
const CASES: [string, unknown, string, RegExp][] = [
  ['client_name is missing', { ...PUBLIC_CLIENT, client_name: undefined }, 'invalid_client_metadata', /client_name: is required/],
  ['client_name is longer than 255 characters', { ...PUBLIC_CLIENT, client_name: 'x'.repeat(256) }, 'invalid_client_metadata', /client_name: /],
  ['client_name is not a string', { ...PUBLIC_CLIENT, client_name: 42 }, 'invalid_client_metadata', /client_name: must be string/],
  ['redirect_uris is missing', { ...PUBLIC_CLIENT, redirect_uris: undefined }, 'invalid_redirect_uri', /redirect_uris: needs at least one URI when grant_types includes authorization_code/],
  ['redirect_uris is empty', { ...PUBLIC_CLIENT, redirect_uris: [] }, 'invalid_redirect_uri', /redirect_uris: needs at least one URI/],
  [
    'more than 10 redirect URIs are listed',
    { ...PUBLIC_CLIENT, redirect_uris: Array.from({ length: 11 }, (_, i) => `https://app.example.com/cb${i}`) },
    'invalid_redirect_uri',
    /redirect_uris: must NOT have more than 10 items/,
  ],
  ['a redirect URI uses http on a public host', { ...PUBLIC_CLIENT, redirect_uris: ['http://app.example.com/cb'] }, 'invalid_redirect_uri', /redirect_uris\.0: must use https/],
  ['a redirect URI has a fragment', { ...PUBLIC_CLIENT, redirect_uris: ['https://app.example.com/cb#frag'] }, 'invalid_redirect_uri', /redirect_uris\.0: must not contain a fragment/],
  ['a redirect URI is relative', { ...PUBLIC_CLIENT, redirect_uris: ['/callback'] }, 'invalid_redirect_uri', /redirect_uris\.0: must be an absolute URI/],
  ['a redirect URI uses the javascript scheme', { ...PUBLIC_CLIENT, redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri', /redirect_uris\.0: must not use the javascript scheme/],
  [
    'a web application lists a private-use scheme',
    { ...PUBLIC_CLIENT, application_type: 'web', redirect_uris: ['com.example.app:/callback'] },
    'invalid_redirect_uri',
    /redirect_uris\.0: may use a private-use scheme only when application_type is native/,
  ],
  [
    'a redirect URI carries user information',
    { ...PUBLIC_CLIENT, redirect_uris: ['https://user:pass@app.example.com/cb'] },
    'invalid_redirect_uri',
    /redirect_uris\.0: must not contain user information/,
  ],
  ['grant_types names an unknown grant', { ...PUBLIC_CLIENT, grant_types: ['password'] }, 'invalid_client_metadata', /grant_types\.0: must be one of: authorization_code, refresh_token/],
  [
    'grant_types names a grant no enabled plugin serves',
    { ...PUBLIC_CLIENT, grant_types: ['authorization_code', 'client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
    'invalid_client_metadata',
    /grant_types\.1: must be one of/,
  ],
  ['response_types asks for the implicit flow', { ...PUBLIC_CLIENT, response_types: ['token'] }, 'invalid_client_metadata', /response_types\.0: must be one of: code/],
  [
    'response_types has code without the authorization_code grant',
    { ...PUBLIC_CLIENT, grant_types: ['refresh_token'] },
    'invalid_client_metadata',
    /response_types: code needs authorization_code in grant_types/,
  ],
  ['token_endpoint_auth_method is not supported', { ...PUBLIC_CLIENT, token_endpoint_auth_method: 'private_key_jwt' }, 'invalid_client_metadata', /token_endpoint_auth_method: must be one of: none, client_secret_basic, client_secret_post/],
  ['application_type is neither web nor native', { ...PUBLIC_CLIENT, application_type: 'desktop' }, 'invalid_client_metadata', /application_type: must be one of: web, native/],
  ['the body is not JSON', 'client_name=x', 'invalid_client_metadata', /JSON/],
  ['the body is a JSON array', '[]', 'invalid_client_metadata', /JSON object/],
];

test('every invalid registration field is refused with the RFC 7591 error naming the field', async (t) => {
  const fx = await dcrServer(t);
  for (const [what, body, error, description] of CASES) {
    const response = await fx.register(body);
    const json = await response.json();
    assert.equal(response.status, 400, `${what}: ${JSON.stringify(json)}`);
    assert.equal(json.error, error, `${what}: ${JSON.stringify(json)}`);
    assert.match(json.error_description, description, what);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  }
  const listed = await (await fx.admin('/admin/clients?source=dcr')).json();
  assert.deepEqual(listed.clients, [], 'no rejected registration left a client behind');
});

test('a registration with several bad fields names every one of them', async (t) => {
  const fx = await dcrServer(t);
  const response = await fx.register({
    ...PUBLIC_CLIENT,
    redirect_uris: ['http://app.example.com/cb', 'https://ok.example.com/cb', 'https://app.example.com/cb#x'],
    grant_types: ['authorization_code', 'urn:example:unknown'],
  });
  const json = await response.json();
  assert.equal(response.status, 400);
  assert.equal(json.error, 'invalid_client_metadata', 'not only redirect URIs are wrong');
  assert.match(json.error_description, /redirect_uris\.0: must use https/);
  assert.match(json.error_description, /redirect_uris\.2: must not contain a fragment/);
  assert.match(json.error_description, /grant_types\.1: must be one of/);
  assert.doesNotMatch(json.error_description, /redirect_uris\.1/);
});

test('a loopback redirect URI with a user-information part is refused, even an empty one URL parsing would drop', async (t) => {
  const fx = await dcrServer(t);
  for (const uri of ['http://evil@127.0.0.1/cb', 'http://evil:@localhost/cb', 'http://@127.0.0.1/cb', 'http:@127.0.0.1/cb', 'http://@[::1]:3000/cb']) {
    const response = await fx.register({ ...PUBLIC_CLIENT, redirect_uris: [uri] });
    const json = await response.json();
    assert.equal(response.status, 400, `${uri}: ${JSON.stringify(json)}`);
    assert.equal(json.error, 'invalid_redirect_uri', uri);
    assert.match(json.error_description, /redirect_uris\.0: must not contain user information/, uri);
  }
  const accepted = await fx.register({ ...PUBLIC_CLIENT, redirect_uris: ['http://127.0.0.1/cb/user@example'] });
  assert.equal(accepted.status, 201, 'an @ in the path is not user information');
});
