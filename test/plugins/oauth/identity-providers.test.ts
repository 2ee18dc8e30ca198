/**
 * The identity-provider seam: every way to log in is an `identityProviders` entry, listed on the login page and
 * ended by the `interactions` service. Driven with the magic-link test provider (test/fixtures/plugins/) through
 * the scripted browser, and with the local password provider the oauth plugin registers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { fixedCallbackIdp } from '../../fixtures/plugins/fixed-callback-idp.js';
import { magicLink, MAGIC_LINK_TTL_MS, type MagicLinkMail } from '../../fixtures/plugins/magic-link.js';
import { ScriptedBrowser, type Page } from '../../helpers/browser.js';
import { testClock, type TestClock } from '../../helpers/clock.js';
import { authorizeUrl, pkce } from './flow.js';
import { oauthServer, REDIRECT_URI, RESOURCE_URI, USER, type OAuthFixture } from './setup.js';

const insecure = { [oauth.allowInsecureRequests]: true };
const hasSession = (browser: ScriptedBrowser) => browser.cookies.has('ap_session');

async function magicServer(t: import('node:test').TestContext, clock: TestClock = testClock()) {
  return oauthServer(t, { extra: [magicLink()], now: clock.now });
}

/** The href of the login page's link to a provider. */
function providerLink(page: Page, label: string): string {
  const match = new RegExp(`<a href="([^"]+)">Sign in with ${label}</a>`).exec(page.body);
  assert.ok(match, `no link '${label}' on ${page.url}:\n${page.body}`);
  return match[1]!.replace(/&amp;/g, '&');
}

async function lastMail(fx: OAuthFixture, to: string): Promise<string> {
  const { messages } = (await (await fx.admin('/admin/magic-link/outbox')).json()) as { messages: MagicLinkMail[] };
  const mail = messages.filter((m) => m.to === to).at(-1);
  assert.ok(mail, `no mail to ${to}`);
  return mail.link;
}

/** From a login page: the magic-link entry, its email form, and the link it mailed (not followed yet). */
async function askForLink(fx: OAuthFixture, browser: ScriptedBrowser, loginPage: Page, email = USER.email): Promise<string> {
  const form = await browser.request(providerLink(loginPage, 'Magic link'));
  assert.equal(form.status, 200, form.body);
  const sent = await browser.submit(form, { email });
  assert.equal(sent.status, 200, sent.body);
  assert.match(sent.body, /Check your inbox/);
  return lastMail(fx, email);
}

async function auditEvents(fx: OAuthFixture, query: string) {
  return ((await (await fx.admin(`/admin/audit?${query}`)).json()) as { events: { user_id?: string; detail: Record<string, unknown> }[] }).events;
}

test('a magic-link provider from a plugin logs a user in end to end: authorize, the listed provider, its link, consent, code, token', async (t) => {
  const fx = await magicServer(t);
  const issuer = new URL(fx.url);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  const client: oauth.Client = { client_id: fx.clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: fx.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'tools/read',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: RESOURCE_URI,
  }).toString();

  const browser = new ScriptedBrowser(fx.url);
  const login = await browser.request(url.toString());
  assert.match(login.url, /\/login\?return_to=/);
  assert.match(login.body, /name="password"/, 'the local provider shows its form inline');
  const link = await askForLink(fx, browser, login);
  assert.ok(link.startsWith(`${fx.url}/login/magic-link/callback?token=`), link);

  const consent = await browser.request(link);
  assert.equal(consent.status, 200, consent.body);
  assert.match(consent.url, /\/consent\?/, 'back into the authorization request the login interrupted');
  const callback = await browser.consent(consent, 'allow');
  assert.ok(callback.url.startsWith(REDIRECT_URI), callback.url);

  const params = oauth.validateAuthResponse(as, client, new URL(callback.url), state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, REDIRECT_URI, verifier, {
    additionalParameters: { resource: RESOURCE_URI },
    ...insecure,
  });
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
  assert.equal(claims.sub, fx.userId);

  const [login_] = await auditEvents(fx, `action=user_login&user_id=${fx.userId}`);
  assert.deepEqual(login_?.detail, { provider: 'magic-link', amr: ['otp'] });
  assert.equal(browser.cookies.get('ap_login'), undefined, 'the finished interaction is cleared');
});

test('the login page lists every registered provider; local is the oauth plugin\'s and its logins are audited with provider and amr', async (t) => {
  const fx = await magicServer(t);
  assert.equal(fx.server.registries.identityProviders.owner('local'), 'oauth');
  const browser = new ScriptedBrowser(fx.url);
  const login = await browser.request('/login');
  assert.equal(providerLink(login, 'Magic link'), '/login/magic-link');
  assert.match(login.body, /<form method="post" action="\/login">/);

  // GET /login/local sends the browser to the page its form is on; the form works on its own callback URL too.
  const local = await browser.request('/login/local?return_to=%2Fconsent%3Fclient_id%3Dx');
  assert.match(local.url, /\/login\?return_to=%2Fconsent%3Fclient_id%3Dx$/);
  const form = /name="csrf_token" value="([^"]+)"/.exec(local.body)![1]!;
  const signedIn = await browser.request('/login/local/callback', { method: 'POST', form: { csrf_token: form, email: USER.email, password: USER.password } });
  assert.match(signedIn.url, /\/consent\?client_id=x$/, 'signed in, and on to the return_to the interaction kept');
  assert.ok(hasSession(browser));
  const [event] = await auditEvents(fx, `action=user_login&user_id=${fx.userId}`);
  assert.deepEqual(event?.detail, { provider: 'local', amr: ['pwd'] });
});

test('an unknown provider is an HTML 404 page, on its start and on its callback', async (t) => {
  const fx = await magicServer(t);
  for (const [method, path] of [['GET', '/login/nope'], ['GET', '/login/nope/callback?code=x'], ['POST', '/login/nope/callback']] as const) {
    const response = await fetch(`${fx.url}${path}`, { method, redirect: 'manual' });
    assert.equal(response.status, 404, `${method} ${path}`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await response.text(), /no sign-in method called &#39;nope&#39;/);
  }
});

test('a bad, replayed, expired or foreign magic link is an HTML error page, audited as a failed login, and starts no session', async (t) => {
  const clock = testClock();
  const fx = await magicServer(t, clock);
  const browser = new ScriptedBrowser(fx.url);
  const refused = async (link: string, what: string) => {
    const before = (await auditEvents(fx, 'action=user_login_failed')).length;
    const page = await browser.request(link);
    assert.equal(page.status, 400, `${what}: ${page.body}`);
    assert.match(page.body, /This sign-in link is invalid, used or expired/, what);
    assert.ok(!hasSession(browser), `${what}: no session`);
    const events = await auditEvents(fx, 'action=user_login_failed');
    assert.equal(events.length, before + 1, `${what}: audited`);
    assert.deepEqual(events[0]!.detail, { reason: 'invalid_token', provider: 'magic-link' }, what);
  };

  const link = await askForLink(fx, browser, await browser.request('/login'));
  await refused(`${fx.url}/login/magic-link/callback?token=forged`, 'a forged token');

  // The same link twice, with the interaction it belongs to (its cookie put back): single use.
  const interaction = browser.cookies.get('ap_login')!;
  assert.match((await browser.request(link)).body, /signed in as ada@example.com/);
  await browser.submit(await browser.request('/logout'));
  browser.cookies.set('ap_login', interaction);
  await refused(link, 'a used link');

  // Mailed, then opened after its lifetime.
  const late = await askForLink(fx, browser, await browser.request('/login'));
  clock.advance(MAGIC_LINK_TTL_MS + 1000);
  await refused(late, 'an expired link');

  // Asked for in one browser and opened in another that has an interaction of its own: bound to its own.
  const theirs = await askForLink(fx, new ScriptedBrowser(fx.url), await new ScriptedBrowser(fx.url).request('/login'));
  await browser.request('/login/magic-link');
  await refused(theirs, 'a link asked for by another browser');

  // A POST to the callback needs the form's CSRF token, even with the interaction cookie (a sibling host's form).
  const mails = async () => ((await (await fx.admin('/admin/magic-link/outbox')).json()) as { messages: unknown[] }).messages.length;
  const sentBefore = await mails();
  await browser.request('/login/magic-link');
  const noToken = await browser.request('/login/magic-link/callback', { method: 'POST', form: { email: USER.email } });
  assert.equal(noToken.status, 400);
  assert.match(noToken.body, /The form expired/);
  assert.equal(await mails(), sentBefore, 'the provider was not asked: no mail');

  // A callback with no interaction at all never reaches the provider.
  const stranger = new ScriptedBrowser(fx.url);
  const orphan = await stranger.request(await askForLink(fx, new ScriptedBrowser(fx.url), await browser.request('/login')));
  assert.equal(orphan.status, 400);
  assert.match(orphan.body, /expired or was started in another browser/);
  assert.ok(!hasSession(stranger));
  // Nor does a link carrying the browser's own form token: only a form posted from our page can.
  const csrf = /name="csrf_token" value="([^"]+)"/.exec((await stranger.request('/login')).body)![1]!;
  const withToken = new URL(await askForLink(fx, new ScriptedBrowser(fx.url), await browser.request('/login')));
  withToken.searchParams.set('csrf_token', csrf);
  const carried = await stranger.request(withToken.toString());
  assert.equal(carried.status, 400);
  assert.match(carried.body, /expired or was started in another browser/, 'refused before the provider is asked');
  assert.ok(!hasSession(stranger));
});

test('a provider proving a disabled user is refused by the interactions service: a 403 page, audited, no session', async (t) => {
  const fx = await magicServer(t);
  const created = await fx.admin('/admin/users', { method: 'POST', body: JSON.stringify({ email: 'off@example.com', password: 'long enough password', name: 'Off', role: 'user' }) });
  const user = (await created.json()) as { id: string };
  assert.equal(created.status, 201, JSON.stringify(user));
  const browser = new ScriptedBrowser(fx.url);
  const link = await askForLink(fx, browser, await browser.request('/login'), 'off@example.com');
  assert.equal((await fx.admin(`/admin/users/${user.id}/disable`, { method: 'POST' })).status, 200);

  const page = await browser.request(link);
  assert.equal(page.status, 403, page.body);
  assert.match(page.body, /This account cannot sign in/);
  assert.ok(!hasSession(browser));
  const [event] = await auditEvents(fx, 'action=user_login_failed');
  assert.deepEqual(event?.detail, { reason: 'user_disabled', provider: 'magic-link' });
  assert.equal((await auditEvents(fx, `action=user_login&user_id=${user.id}`)).length, 0);
});

test('return_to survives the round trip only when it is ours: an attacker\'s ends on the signed-in page, not a redirect', async (t) => {
  const fx = await magicServer(t);
  for (const evil of ['https://evil.example/', '//evil.example/oauth/authorize?x=1', '/oauth/authorize/../../evil', '/\\evil.example/consent?x']) {
    const browser = new ScriptedBrowser(fx.url);
    const start = await browser.request(`/login/magic-link?${new URLSearchParams({ return_to: evil })}`);
    const sent = await browser.submit(start, { email: USER.email });
    assert.equal(sent.status, 200);
    const landed = await browser.request(await lastMail(fx, USER.email));
    assert.equal(landed.status, 200, `${evil}: ${landed.url}`);
    assert.equal(landed.url.split('?')[0], `${fx.url}/login/magic-link/callback`, `${evil}: no redirect`);
    assert.match(landed.body, /signed in as ada@example.com/);
  }

  // Ours survives: the authorization request resumes after the link.
  const browser = new ScriptedBrowser(fx.url);
  const { challenge } = pkce();
  const login = await browser.request(authorizeUrl(fx, { code_challenge: challenge }));
  const back = await browser.request(await askForLink(fx, browser, login));
  assert.match(back.url, /\/consent\?client_id=/);
});

test('a plugin with a callback route of its own ends the login through the interactions service it depends on', async (t) => {
  const fx = await oauthServer(t, { extra: [fixedCallbackIdp()] });
  const browser = new ScriptedBrowser(fx.url);
  const login = await browser.request(authorizeUrl(fx, { code_challenge: pkce().challenge }));
  const start = `${providerLink(login, 'Fixed SSO')}&${new URLSearchParams({ login_hint: USER.email })}`;

  const forged = new ScriptedBrowser(fx.url);
  await forged.request('/login/fixed-sso');
  const wrongState = await forged.request(`/sso/return?${new URLSearchParams({ state: 'guessed', email: USER.email })}`);
  assert.equal(wrongState.status, 400);
  assert.ok(!hasSession(forged));

  const consent = await browser.request(start);
  assert.equal(consent.status, 200, consent.body);
  assert.match(consent.url, /\/consent\?client_id=/, 'the return_to kept by the interaction');
  const [event] = await auditEvents(fx, `action=user_login&user_id=${fx.userId}`);
  assert.deepEqual(event?.detail, { upstream: 'test-upstream', provider: 'fixed-sso', amr: ['fed'] });
});
