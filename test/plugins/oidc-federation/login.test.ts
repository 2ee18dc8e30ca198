import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { auditEvents, authorizePath, buttonHref, federatedLogin, federationServer, REDIRECT_URI, throughUpstream } from './setup.js';

test('two upstream providers: each signs a new person in, creating the user, and a second login through the same provider finds that user again', async (t) => {
  const fx = await federationServer(t);

  const loginPage = await new ScriptedBrowser(fx.url).request(authorizePath(fx));
  assert.match(loginPage.body, /<a href="\/oidc\/acme\/start\?return_to=[^"]+">Sign in with Acme ID<\/a>/);
  assert.match(loginPage.body, /<a href="\/oidc\/globex\/start\?return_to=[^"]+">Sign in with Globex SSO<\/a>/);
  assert.match(loginPage.body, /name="password"/, 'the local form is still there');

  const first = new ScriptedBrowser(fx.url);
  const { page: consent, callbackUrl } = await federatedLogin(fx, first, 'acme', 'grace');
  assert.ok(callbackUrl.startsWith(`${fx.url}/oidc/acme/callback?`), callbackUrl);
  assert.equal(consent.status, 200, consent.body.slice(0, 500));
  assert.match(consent.url, /\/oauth\/authorize\?|\/consent/);
  const back = await first.consent(consent, 'allow');
  const redirect = new URL(back.url);
  assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI);
  assert.ok(redirect.searchParams.get('code'), 'the authorization request ended with a code, as after a local login');
  assert.equal(redirect.searchParams.get('state'), 'client-state');

  const listed = (await (await fx.admin('/admin/users')).json()).users as { id: string; email: string; provider: string; name: string; role: string }[];
  const grace = listed.find((u) => u.email === 'grace@acme.example');
  assert.ok(grace, JSON.stringify(listed));
  assert.equal(grace.provider, 'acme');
  assert.equal(grace.name, 'Person grace');
  assert.equal(grace.role, 'user');
  const identities = await (await fx.admin(`/admin/users/${grace.id}/identities`)).json();
  assert.deepEqual(identities.identities.map((i: { provider: string; subject: string }) => [i.provider, i.subject]), [['acme', 'grace']]);

  // The same person again, in another browser: the same user, no second account.
  const again = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'grace');
  assert.equal(again.page.status, 302, 'the consent given before stands: straight back to the client');
  assert.ok(again.page.url.startsWith(`${REDIRECT_URI}?code=`), again.page.url);
  // The same login name at the other provider is another person: a user of its own.
  const other = await federatedLogin(fx, new ScriptedBrowser(fx.url), 'globex', 'grace');
  assert.equal(other.page.status, 200, other.page.body.slice(0, 500));
  const after = (await (await fx.admin('/admin/users')).json()).users as { id: string; email: string; provider: string }[];
  assert.equal(after.filter((u) => u.email === 'grace@acme.example').length, 1);
  const globexGrace = after.find((u) => u.email === 'grace@globex.example');
  assert.equal(globexGrace?.provider, 'globex');
  assert.equal(after.length, 3, 'the local user and one user per upstream identity');

  const logins = await auditEvents(fx, 'user_oidc_login');
  assert.deepEqual(
    logins.map((e) => [e.user_id, e.detail.provider, e.detail.subject, e.detail.created]).sort(),
    [
      [grace.id, 'acme', 'grace', false],
      [grace.id, 'acme', 'grace', true],
      [globexGrace!.id, 'globex', 'grace', true],
    ].sort(),
  );
  const userLogins = await auditEvents(fx, 'user_login');
  assert.ok(userLogins.every((e) => (e.detail.amr as string[]).includes('fed')));

  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_oidc_exchange_duration_seconds_count\{provider="acme",outcome="success"\} 2/);
  assert.match(metrics, /authserver_oidc_exchange_duration_seconds_count\{provider="globex",outcome="success"\} 1/);
  assert.match(metrics, /authserver_oidc_jwks_cache_misses_total\{provider="acme"\} 1/);
  assert.match(metrics, /authserver_oidc_jwks_cache_hits_total\{provider="acme"\} 1/);
});

test('two first logins of one upstream identity at once make one user, and both sign in as it', async (t) => {
  const fx = await federationServer(t);
  const browsers = [new ScriptedBrowser(fx.url), new ScriptedBrowser(fx.url)];
  const callbacks = await Promise.all(
    browsers.map(async (browser) => {
      const loginPage = await browser.request(authorizePath(fx));
      const toUpstream = await browser.request(buttonHref(loginPage, 'Acme ID'));
      return throughUpstream(fx.idps.acme, toUpstream.url, 'ruth');
    }),
  );
  const pages = await Promise.all(browsers.map((browser, i) => browser.request(callbacks[i]!)));
  assert.deepEqual(pages.map((p) => p.status), [200, 200], pages.map((p) => p.body.slice(0, 200)).join('\n'));
  const listed = ((await (await fx.admin('/admin/users')).json()).users as { id: string; email: string }[]).filter((u) => u.email === 'ruth@acme.example');
  assert.equal(listed.length, 1);
  const logins = await auditEvents(fx, 'user_oidc_login');
  assert.deepEqual(logins.map((e) => e.user_id), [listed[0]!.id, listed[0]!.id]);
  assert.deepEqual(logins.map((e) => e.detail.created).sort(), [false, true]);
});
