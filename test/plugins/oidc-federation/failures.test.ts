import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { testClock } from '../../helpers/clock.js';
import { auditEvents, authorizePath, buttonHref, federatedLogin, federationServer, LOCAL_USER, throughUpstream, type FederationFixture } from './setup.js';

/** Our login page → the provider's button → the redirect upstream (not followed). */
async function startAt(fx: FederationFixture, browser: ScriptedBrowser, label = 'Acme ID'): Promise<string> {
  const loginPage = await browser.request(authorizePath(fx));
  const toUpstream = await browser.request(buttonHref(loginPage, label));
  assert.equal(toUpstream.status, 302);
  return toUpstream.url;
}

async function users(fx: FederationFixture): Promise<{ id: string; email: string; role: string }[]> {
  return (await (await fx.admin('/admin/users')).json()).users;
}

test('an upstream email another user has is a 409 page and user_oidc_login_failed{email_in_use}, never a takeover; an administrator links the identity deliberately', async (t) => {
  const fx = await federationServer(t);
  const { page } = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', LOCAL_USER.email);
  assert.equal(page.status, 409);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(page.body, /already exists/);
  assert.deepEqual((await users(fx)).map((u) => u.email), [LOCAL_USER.email], 'no user was created');
  const failed = await auditEvents(fx, 'user_oidc_login_failed');
  assert.deepEqual(failed.map((e) => [e.detail.reason, e.detail.provider]), [['email_in_use', 'acme']]);
  assert.equal((await auditEvents(fx, 'user_login')).length, 0, 'nobody was signed in');

  const link = await fx.admin(`/admin/users/${fx.localUserId}/identities`, { method: 'POST', body: JSON.stringify({ provider: 'acme', subject: LOCAL_USER.email }) });
  assert.equal(link.status, 201, await link.clone().text());
  const twice = await fx.admin(`/admin/users/${fx.localUserId}/identities`, { method: 'POST', body: JSON.stringify({ provider: 'acme', subject: LOCAL_USER.email }) });
  assert.equal(twice.status, 409);
  const unknown = await fx.admin(`/admin/users/${fx.localUserId}/identities`, { method: 'POST', body: JSON.stringify({ provider: 'nope', subject: 'x' }) });
  assert.equal(unknown.status, 400);
  assert.match((await unknown.json()).detail, /acme, globex/);

  const linked = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', LOCAL_USER.email);
  assert.equal(linked.page.status, 200, linked.page.body.slice(0, 300));
  const logins = await auditEvents(fx, 'user_oidc_login');
  assert.deepEqual(logins.map((e) => [e.user_id, e.detail.created]), [[fx.localUserId, false]]);

  const unlink = await fx.admin(`/admin/users/${fx.localUserId}/identities/acme/${encodeURIComponent(LOCAL_USER.email)}`, { method: 'DELETE' });
  assert.equal(unlink.status, 204);
  const again = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', LOCAL_USER.email);
  assert.equal(again.page.status, 409, 'unlinked: the email conflict again');
});

test('a tampered state, a replayed callback and an authorization request whose nonce was changed are all refused', async (t) => {
  const fx = await federationServer(t);

  const tampered = new ScriptedBrowser(fx.url);
  const callback = new URL(await throughUpstream(fx.idps.acme, await startAt(fx, tampered), 'henry'));
  callback.searchParams.set('state', 'tampered');
  const refused = await tampered.request(callback.toString());
  assert.equal(refused.status, 400);
  assert.match(refused.body, /could not be verified/);

  // The same callback three times at once, with the interaction cookie each time: one login, the others refused.
  const replay = new ScriptedBrowser(fx.url);
  const good = await throughUpstream(fx.idps.acme, await startAt(fx, replay), 'henry');
  const cookie = [...replay.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const answers = await Promise.all([1, 2, 3].map(() => fetch(good, { headers: { cookie }, redirect: 'manual' })));
  assert.deepEqual(answers.map((r) => r.status).sort(), [303, 400, 400]);
  const replayed = await replay.request(good);
  assert.equal(replayed.status, 400, 'the interaction is over: the same callback is not heard twice');

  const nonce = new ScriptedBrowser(fx.url);
  const authorize = new URL(await startAt(fx, nonce));
  assert.ok(authorize.searchParams.get('nonce'));
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  authorize.searchParams.set('nonce', 'a-nonce-of-someone-else');
  const wrongNonce = await nonce.request(await throughUpstream(fx.idps.acme, authorize.toString(), 'irene'));
  assert.equal(wrongNonce.status, 400);

  const reasons = (await auditEvents(fx, 'user_oidc_login_failed')).map((e) => e.detail.reason).sort();
  // The tampered state, the two losers of the race and the replay (its browser still held the cookie).
  assert.deepEqual(reasons, ['invalid_state', 'invalid_state', 'invalid_state', 'invalid_state', 'nonce_mismatch']);
  assert.deepEqual((await users(fx)).map((u) => u.email).sort(), [LOCAL_USER.email, 'henry@acme.example'], 'irene was never created');
  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_oidc_exchange_duration_seconds_count\{provider="acme",outcome="nonce_mismatch"\} 1/);
});

test('an ID token that expired by the server clock is refused', async (t) => {
  const clock = testClock();
  const fx = await federationServer(t, { now: clock.now, idTokenTtl: 60 });
  const browser = new ScriptedBrowser(fx.url);
  const callback = await throughUpstream(fx.idps.acme, await startAt(fx, browser), 'judy');
  // Past the ID token's 60 s (and the 30 s tolerance), within the interaction's 10 minutes.
  clock.advance(300_000);
  const page = await browser.request(callback);
  assert.equal(page.status, 400);
  assert.match(page.body, /took too long/);
  assert.deepEqual((await auditEvents(fx, 'user_oidc_login_failed')).map((e) => e.detail.reason), ['id_token_expired']);
});

test('an upstream sub longer than OpenID Connect allows (255) is an error page, and no user is created', async (t) => {
  const fx = await federationServer(t);
  const browser = new ScriptedBrowser(fx.url);
  const callback = await throughUpstream(fx.idps.acme, await startAt(fx, browser), 's'.repeat(256));
  const page = await browser.request(callback);
  assert.equal(page.status, 502);
  assert.match(page.body, /subject identifier this server cannot keep/);
  assert.deepEqual((await auditEvents(fx, 'user_oidc_login_failed')).map((e) => e.detail.reason), ['invalid_subject']);
  assert.deepEqual((await users(fx)).map((u) => u.email), [LOCAL_USER.email]);
});

test('a disabled federated user is refused; role rules map upstream groups to roles at each login', async (t) => {
  const fx = await federationServer(t, { acmeRoles: [{ claim: 'groups', value: 'admins', role: 'admin' }] });
  assert.equal((await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'admin-kim')).page.status, 200);
  assert.equal((await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'lee')).page.status, 200);
  const created = await users(fx);
  assert.equal(created.find((u) => u.email === 'admin-kim@acme.example')?.role, 'admin');
  const lee = created.find((u) => u.email === 'lee@acme.example')!;
  assert.equal(lee.role, 'user');

  // An administrator's change is put back by the next login: the upstream's groups decide.
  await fx.admin(`/admin/users/${lee.id}`, { method: 'PATCH', body: JSON.stringify({ role: 'admin' }) });
  const relogin = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'lee');
  assert.equal(relogin.page.status, 200);
  assert.match(relogin.page.url, /\/consent\?/, 'signed in, on to consent');
  assert.equal((await users(fx)).find((u) => u.id === lee.id)?.role, 'user');

  assert.equal((await fx.admin(`/admin/users/${lee.id}/disable`, { method: 'POST' })).status, 200);
  const refused = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'lee');
  assert.equal(refused.page.status, 403);
  assert.match(refused.page.body, /cannot sign in/);
  const failed = await auditEvents(fx, 'user_oidc_login_failed');
  assert.deepEqual(failed.map((e) => e.detail.reason), ['user_disabled']);
});

test('an upstream down at login is an error page; the server keeps serving and the other provider still signs people in', async (t) => {
  const fx = await federationServer(t);
  const browser = new ScriptedBrowser(fx.url);
  const callback = await throughUpstream(fx.idps.acme, await startAt(fx, browser), 'mia');
  await fx.idps.acme.stop();
  const page = await browser.request(callback);
  assert.equal(page.status, 502);
  assert.match(page.body, /could not be reached/);
  assert.match(page.body, /Start again/);
  assert.deepEqual((await auditEvents(fx, 'user_oidc_login_failed')).map((e) => e.detail.reason), ['upstream_unreachable']);

  assert.equal((await fetch(`${fx.url}/login`)).status, 200);
  const other = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'globex', 'mia');
  assert.equal(other.page.status, 200);
  const back = await new ScriptedBrowser(fx.url).request(`${fx.url}/oidc/nope/start`);
  assert.equal(back.status, 404);
});
