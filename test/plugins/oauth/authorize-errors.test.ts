import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { authorizeUrl, loggedInBrowser, pkce } from './flow.js';
import { oauthServer, RESOURCE_URI } from './setup.js';

async function raw(url: string) {
  return fetch(url, { redirect: 'manual' });
}

test('an unknown client or an unregistered redirect URI gets an HTML error page, never a redirect', async (t) => {
  const fx = await oauthServer(t);
  for (const params of [{ client_id: 'nope' }, { redirect_uri: 'http://127.0.0.1:8765/elsewhere' }, { redirect_uri: 'https://evil.example/cb' }, { client_id: undefined }]) {
    const response = await raw(authorizeUrl(fx, params));
    assert.equal(response.status, 400, JSON.stringify(params));
    assert.equal(response.headers.get('location'), null);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await response.text(), /<h1>/);
  }
});

test('the invalid redirect URI page shows the redirect_uri received, escaped and bounded, and the loopback port rule', async (t) => {
  const fx = await oauthServer(t);
  const received = 'https://evil.example/cb?x=<script>alert("hi")</script>';
  const response = await raw(authorizeUrl(fx, { redirect_uri: received }));
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('location'), null);
  const body = await response.text();
  assert.ok(!body.includes('<script>'), body);
  assert.ok(body.includes('https://evil.example/cb?x=&lt;script&gt;alert(%22hi%22)&lt;/script&gt;'), body);
  assert.match(body, /loopback host/);
  assert.match(body, /port is not compared \(RFC 8252 §7\.3\)/);

  // Another path on the loopback host: the page names what was received, so the difference can be seen.
  const loopback = await (await raw(authorizeUrl(fx, { redirect_uri: 'http://127.0.0.1:9999/elsewhere' }))).text();
  assert.ok(loopback.includes('&#39;http://127.0.0.1:9999/elsewhere&#39;'), loopback);
  const long = await (await raw(authorizeUrl(fx, { redirect_uri: `https://x.example/${'a'.repeat(5000)}` }))).text();
  assert.ok(long.length < 2500, 'the echo is bounded');
});

test('invalid_target at the authorization endpoint repeats the resource received; scope is required lists the resource\'s scopes', async (t) => {
  const fx = await oauthServer(t);
  const description = async (params: Record<string, string | undefined>) => {
    const location = new URL((await raw(authorizeUrl(fx, params))).headers.get('location')!);
    return location.searchParams.get('error_description')!;
  };
  assert.equal(await description({ resource: 'https://unknown.example.com/mcp' }), "resource 'https://unknown.example.com/mcp' is not registered");
  assert.equal(await description({ resource: 'https://unknown.example.com/\u00e9 x' }), "resource 'https://unknown.example.com/%C3%A9 x' is not registered");
  const required = await description({ scope: undefined });
  assert.match(required, /^scope is required; the resource offers: tools\/read tools\/write /);
  assert.match(required, /AUTHPLANE_OAUTH_REQUIRE_SCOPE=false/);
  assert.match(required, /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/, 'RFC 6749 §5.2 characters only');
});

test('authorization errors after the redirect URI is verified redirect with error, state and iss', async (t) => {
  const fx = await oauthServer(t);
  const cases: [Record<string, string | undefined>, string][] = [
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ code_challenge: undefined }, 'invalid_request'],
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge_method: undefined }, 'invalid_request'],
    [{ resource: 'https://unknown.example.com/mcp' }, 'invalid_target'],
    [{ resource: undefined }, 'invalid_target'],
    [{ scope: 'tools/admin' }, 'invalid_scope'],
    [{ scope: undefined }, 'invalid_scope'],
  ];
  for (const [params, error] of cases) {
    const response = await raw(authorizeUrl(fx, params));
    assert.equal(response.status, 302, JSON.stringify(params));
    const location = new URL(response.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, 'http://127.0.0.1:8765/callback');
    assert.equal(location.searchParams.get('error'), error, JSON.stringify(params));
    assert.ok(location.searchParams.get('error_description'));
    assert.equal(location.searchParams.get('state'), 'st-1');
    assert.equal(location.searchParams.get('iss'), fx.url);
  }
});

test('a scope outside the client ceiling is invalid_scope even when the resource offers it', async (t) => {
  const fx = await oauthServer(t);
  const narrow = await fx.createClient({ scope: 'tools/read' });
  const response = await raw(authorizeUrl(fx, { client_id: narrow.client_id, scope: 'tools/write' }));
  assert.equal(new URL(response.headers.get('location')!).searchParams.get('error'), 'invalid_scope');
});

test('without a session the user is sent to /login, then to /consent, and Deny redirects access_denied with iss', async (t) => {
  const fx = await oauthServer(t);
  const first = await raw(authorizeUrl(fx));
  assert.equal(first.status, 302);
  assert.match(first.headers.get('location')!, /^\/login\?return_to=%2Foauth%2Fauthorize/);
  const browser = await loggedInBrowser(fx);
  const consent = await browser.request(authorizeUrl(fx));
  assert.match(consent.url, /\/consent\?/);
  assert.match(consent.body, /Test client/);
  const denied = await browser.consent(consent, 'deny');
  const params = new URL(denied.url).searchParams;
  assert.equal(params.get('error'), 'access_denied');
  assert.equal(params.get('iss'), fx.url);
  assert.equal(params.get('state'), 'st-1');
});

test('the resource can be named by slug and by its URI with a trailing slash or another case', async (t) => {
  const fx = await oauthServer(t);
  const browser = await loggedInBrowser(fx);
  for (const resource of ['example-mcp', `${RESOURCE_URI}/`, 'https://MCP.EXAMPLE.com/mcp']) {
    const page = await browser.request(authorizeUrl(fx, { resource, code_challenge: pkce().challenge }));
    assert.match(page.url, /\/consent\?/, `${resource}: ${page.url}`);
  }
});

test('with requireScope off a request without scope gets every scope of the resource and a warning once', async (t) => {
  const fx = await oauthServer(t, { env: { AUTHPLANE_OAUTH_REQUIRE_SCOPE: 'false' } });
  const browser = await loggedInBrowser(fx);
  const page = await browser.request(authorizeUrl(fx, { scope: undefined }));
  assert.match(page.body, /tools\/read/);
  assert.match(page.body, /tools\/write/);
  await browser.request(authorizeUrl(fx, { scope: undefined }));
  const warnings = fx.logs.filter((l) => String(l.msg).includes('without scope'));
  assert.equal(warnings.length, 1);
});

test('login pages carry CSRF protection and a forged consent post is refused', async (t) => {
  const fx = await oauthServer(t);
  const browser = new ScriptedBrowser(fx.url);
  const login = await browser.request('/login');
  assert.match(login.body, /name="csrf_token"/);
  assert.match(login.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const forged = await fetch(`${fx.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: 'ada@example.com', password: 'x', csrf_token: 'forged' }),
  });
  assert.equal(forged.status, 400);
  const loggedIn = await loggedInBrowser(fx);
  const consent = await loggedIn.request(authorizeUrl(fx));
  const attack = await loggedIn.submit(consent, { csrf_token: 'forged' }, { name: 'decision', value: 'allow' });
  assert.equal(attack.status, 403);
});
