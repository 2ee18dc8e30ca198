/**
 * The connect flow against a real upstream: a signed-out browser is sent to log in, comes back, is redirected to
 * oidc-provider with PKCE and a sealed state, signs in and consents there, and the callback stores the grant
 * encrypted and returns to the resource's allowlisted return URL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { requirePostgres } from '../../helpers/postgres.js';
import {
  auditEvents,
  connect,
  connectFixture,
  connectPath,
  consentUpstream,
  grantRows,
  openGrant,
  refuseUpstream,
  RETURN_URL,
  signedIn,
  startConnect,
  USERS,
} from './connect-setup.js';
import { STORAGES } from './setup.js';

for (const storage of STORAGES) {
  test(`a signed-out browser logs in, consents upstream and lands on the return URL with the grant stored encrypted; a reconnect is version 2 (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const fx = await connectFixture(t, { storage });
    const browser = new ScriptedBrowser(fx.url);

    // Not signed in: a 303 to the login page, which comes back to this same connect URL.
    const anonymous = await fetch(`${fx.url}${connectPath()}`, { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.get('location'), `/login?${new URLSearchParams({ return_to: connectPath() })}`);

    const login = await browser.request(connectPath());
    assert.equal(new URL(login.url).pathname, '/login');
    const started = await browser.login(login, USERS.ada.email, USERS.ada.password);
    assert.equal(started.status, 302, started.body);
    const authorize = new URL(started.url);
    assert.equal(`${authorize.origin}${authorize.pathname}`, `${fx.upstream}/auth`);
    const params = authorize.searchParams;
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('client_id'), 'authplane-broker');
    assert.equal(params.get('redirect_uri'), fx.callbackUrl);
    assert.equal(params.get('scope'), 'openid offline_access profile', "the union of the resource's scopes' upstream mappings");
    assert.equal(params.get('prompt'), 'consent', "the provider's authorize_params");
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.match(params.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    const state = params.get('state')!;
    assert.ok(state.length > 100, 'the state is sealed, not a bare random value');
    assert.ok(!state.includes(fx.userIds.ada) && !Buffer.from(state.split('.')[1]!, 'base64url').toString('latin1').includes(fx.userIds.ada), 'the state does not show the user id');
    const cookie = started.headers.getSetCookie().find((c) => c.startsWith('ap_connect_oidc='));
    assert.ok(cookie, 'the nonce cookie is set');
    assert.match(cookie, /; path=\/connect\//i);
    assert.match(cookie, /; httponly/i);
    assert.match(cookie, /; samesite=lax/i);
    assert.doesNotMatch(cookie, /; secure/i, 'not Secure with an http issuer');
    assert.equal(started.headers.get('cache-control'), 'no-store');

    const upstreamBrowser = new ScriptedBrowser(fx.upstream);
    const callback = await consentUpstream(fx, upstreamBrowser, started.url);
    const code = new URL(callback).searchParams.get('code')!;
    const done = await browser.request(callback);
    assert.equal(done.status, 302);
    assert.equal(done.url, RETURN_URL, 'back to the allowlisted return URL');
    assert.ok(!browser.cookies.has('ap_connect_oidc'), 'the nonce cookie is cleared');

    const [row] = await grantRows(fx);
    assert.ok(row);
    assert.equal(row.user_id, fx.userIds.ada);
    assert.equal(row.provider_id, fx.providerId);
    assert.equal(row.version, 1);
    assert.match(row.key_id, /^local:/);
    const tokens = await openGrant(row);
    assert.equal(typeof tokens.access_token, 'string');
    assert.equal(typeof tokens.refresh_token, 'string');
    assert.deepEqual([...tokens.scopes].sort(), ['offline_access', 'openid', 'profile']);
    for (const secret of [tokens.access_token, tokens.refresh_token!, code]) {
      assert.ok(!row.ciphertext.includes(secret), 'the ciphertext does not contain a token');
      assert.ok(!Buffer.from(row.ciphertext, 'base64url').toString('latin1').includes(secret), 'nor does its decoded form');
    }
    assert.ok(!row.ciphertext.includes('access_token'), 'the plaintext JSON is not stored');
    // The stored access token is the upstream's own: oidc-provider's userinfo endpoint accepts it.
    const userinfo = await fetch(`${fx.upstream}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 200);
    assert.equal((await userinfo.json()).sub, 'alice');

    const [updated] = await auditEvents(fx, { action: 'broker_grant_updated' });
    assert.ok(updated);
    assert.equal(updated.actor_id, fx.userIds.ada);
    assert.equal(updated.user_id, fx.userIds.ada);
    assert.deepEqual(updated.detail, {
      provider: 'oidc',
      provider_id: fx.providerId,
      resource: 'files',
      scopes: tokens.scopes,
      version: 1,
      has_refresh_token: true,
      reason: 'connect',
    });

    // Connecting again (signed in already; the upstream remembers the login and asks for consent only).
    const again = await connect(fx, browser, connectPath(), upstreamBrowser);
    assert.equal(again.done.url, RETURN_URL);
    const rows = await grantRows(fx);
    assert.equal(rows.length, 1, 'one grant per user and provider');
    assert.equal(rows[0]!.id, row.id);
    assert.equal(rows[0]!.version, 2);
    assert.notEqual(rows[0]!.ciphertext, row.ciphertext);
    const renewed = await openGrant(rows[0]!);
    assert.notEqual(renewed.access_token, tokens.access_token);
    const versions = (await auditEvents(fx, { action: 'broker_grant_updated' })).map((e) => e.detail.version);
    assert.deepEqual(versions, [2, 1]);
  });
}

test('scope picks the resource scopes to connect for; scopes without upstream mappings ask for the default scopes; no return_url ends on a page', async (t) => {
  const fx = await connectFixture(t);
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'plain', display_name: 'Plain MCP', uri: 'https://plain.example.com/mcp', backend_kind: 'broker', broker_provider_id: 'oidc', scopes: [{ name: 'use' }] }),
  });
  assert.equal(created.status, 201);
  const browser = await signedIn(fx, 'ada');

  const one = new URL((await startConnect(browser, connectPath({ scope: 'profile:read' }))).url);
  assert.equal(one.searchParams.get('scope'), 'openid profile');
  const both = new URL((await startConnect(browser, connectPath({ scope: 'profile:read files:read' }))).url);
  assert.equal(both.searchParams.get('scope'), 'openid profile offline_access');
  const plain = new URL((await startConnect(browser, `/connect/oidc?resource=${encodeURIComponent('https://plain.example.com/mcp')}`)).url);
  assert.equal(plain.searchParams.get('scope'), 'openid offline_access', "the provider's default_scopes; the resource named by its URI");

  const unknown = await browser.request(connectPath({ scope: 'files:write' }));
  assert.equal(unknown.status, 400);
  assert.match(unknown.body, /Files MCP has no scope &#39;files:write&#39;/);

  // Without return_url: the callback ends on the server's own page.
  const { done } = await connect(fx, browser, `/connect/oidc?resource=files&scope=files:read`);
  assert.equal(done.status, 200);
  assert.equal(new URL(done.url).pathname, '/connect/oidc/callback');
  assert.match(done.body, /Your Acme ID account is connected for Files MCP/);
  assert.equal(done.headers.get('cache-control'), 'no-store');
  const [row] = await grantRows(fx);
  assert.deepEqual(JSON.parse(row!.scopes).sort(), ['offline_access', 'openid']);
});

test('saying no at the provider returns to the return URL with error=access_denied, or shows a page without one; nothing is stored', async (t) => {
  const fx = await connectFixture(t);
  const browser = await signedIn(fx, 'ada');
  const upstreamBrowser = new ScriptedBrowser(fx.upstream);

  const refused = await refuseUpstream(fx, upstreamBrowser, (await startConnect(browser, connectPath())).url);
  assert.equal(new URL(refused).searchParams.get('error'), 'access_denied');
  const back = await browser.request(refused);
  assert.equal(back.status, 302);
  assert.equal(back.url, `${RETURN_URL}?error=access_denied`);

  const noReturn = await refuseUpstream(fx, upstreamBrowser, (await startConnect(browser, '/connect/oidc?resource=files')).url);
  const page = await browser.request(noReturn);
  assert.equal(page.status, 403);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.body, /Access to your Acme ID account was not granted; nothing was connected/);

  assert.deepEqual(await grantRows(fx), []);
  const failed = await auditEvents(fx, { action: 'broker_connect_failed' });
  assert.deepEqual(failed.map((e) => e.detail.upstream_error), ['access_denied', 'access_denied']);
});
