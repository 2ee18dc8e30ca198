import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateLimit } from 'authplane/plugins';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { requirePostgres } from '../../helpers/postgres.js';
import { oauthServer, USER, type OAuthFixture } from './setup.js';

/** The login form's CSRF cookie and token, which any number of submissions may reuse. */
async function loginForm(fx: OAuthFixture): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${fx.url}/login`);
  const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(await response.text())![1]!;
  return { cookie, csrf };
}

function postLogin(fx: OAuthFixture, form: { cookie: string; csrf: string }, password: string, from?: string): Promise<Response> {
  return fetch(`${fx.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: form.cookie,
      ...(from ? { 'x-forwarded-for': from } : {}),
    },
    body: new URLSearchParams({ email: USER.email, password, csrf_token: form.csrf }),
  });
}

const signedIn = (response: Response) => response.headers.getSetCookie().some((c) => c.startsWith('ap_session=') && !/max-age=0/i.test(c));

test('repeated failures lock out the (email, IP) pair with 429 and Retry-After, and say nothing about the email', async (t) => {
  const fx = await oauthServer(t, { env: { AUTHPLANE_OAUTH_LOGIN_MAX_FAILURES: '3' } });
  const browser = new ScriptedBrowser(fx.url);
  const attempt = async (email: string, password: string) => browser.login(await browser.request('/login'), email, password);

  const wrongPassword = await attempt(USER.email, 'wrong');
  const unknownEmail = await attempt('nobody@example.com', 'wrong');
  assert.equal(wrongPassword.status, 401);
  assert.equal(unknownEmail.status, 401);
  const message = (body: string) => /role="alert"><strong>([^<]*)</.exec(body)?.[1];
  assert.equal(message(wrongPassword.body), message(unknownEmail.body), 'the same message whether the email exists');

  await attempt(USER.email, 'wrong');
  const locked = await attempt(USER.email, 'wrong');
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  const evenRight = await attempt(USER.email, USER.password);
  assert.equal(evenRight.status, 429, 'a locked-out pair cannot log in even with the right password');

  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_auth_denied_total\{reason="locked_out"\} [1-9]/);
  const audit = await (await fx.admin('/admin/audit?action=user_login_failed')).json();
  assert.ok(audit.events.length >= 3);
});

test('a successful login sets an HttpOnly SameSite=Lax session cookie; logout ends the session', async (t) => {
  const fx = await oauthServer(t);
  const browser = new ScriptedBrowser(fx.url);
  const response = await fetch(`${fx.url}/login`);
  const csrfCookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(await response.text())![1]!;
  const login = await fetch(`${fx.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ email: USER.email, password: USER.password, csrf_token: csrf }),
  });
  assert.equal(login.status, 200);
  const session = login.headers.getSetCookie().find((c) => c.startsWith('ap_session='))!;
  assert.match(session, /HttpOnly/i);
  assert.match(session, /SameSite=Lax/i);
  assert.doesNotMatch(session, /Secure/i, 'http issuer: no Secure flag');

  await browser.login(await browser.request('/login'), USER.email, USER.password);
  assert.match((await browser.request('/login')).body, /signed in as ada@example.com/);
  const logout = await browser.submit(await browser.request('/logout'));
  assert.equal(logout.status, 200);
  assert.match((await browser.request('/login')).body, /name="password"/, 'the session is gone');
  const audit = await (await fx.admin(`/admin/audit?action=user_login&user_id=${fx.userId}`)).json();
  assert.equal(audit.events.length, 2);
});

for (const storage of ['sqlite', 'postgres'] as const) {
  for (const limits of ['off', 'default'] as const) {
    test(`40 wrong-then-right passwords sent at once never get a session once the lock is reached (${storage}, rate limit ${limits})`, async (t) => {
      if (storage === 'postgres' && !(await requirePostgres(t))) return;
      const maxFailures = 5;
      const fx = await oauthServer(t, {
        storage,
        env: { AUTHPLANE_OAUTH_LOGIN_MAX_FAILURES: String(maxFailures) },
        extra: limits === 'default' ? [rateLimit()] : [],
      });
      const form = await loginForm(fx);
      // With the default limits only the first 10 logins of an address reach the password check (the strict
      // bucket), so the right password comes 10th there; without a limit it comes last, 40th.
      const right = limits === 'default' ? 9 : 39;
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) => postLogin(fx, form, i === right ? USER.password : `wrong guess ${i}`)),
      );
      const statuses = responses.map((r) => r.status);
      await Promise.all(responses.map((r) => r.arrayBuffer()));

      assert.equal(statuses[right], 429, `the right password, sent after ${right} wrong ones, is refused: ${statuses.join(' ')}`);
      assert.ok(!responses.some(signedIn), 'no attempt got a session');
      // Every attempt is counted before its password is checked: at most maxFailures checks, and the last of
      // them locks the pair, so fewer than maxFailures attempts are told "invalid email or password".
      const checkedAndWrong = statuses.filter((s) => s === 401).length;
      assert.ok(checkedAndWrong < maxFailures, `${checkedAndWrong} attempts got 401: ${statuses.join(' ')}`);
      assert.ok(statuses.every((s) => s === 401 || s === 429), statuses.join(' '));
      // The lock holds afterwards too.
      const later = await postLogin(fx, form, USER.password);
      assert.equal(later.status, 429);
      assert.ok(!signedIn(later));
    });
  }
}

test('two IPv6 addresses in one /64 share a lockout; the next /64 has its own', async (t) => {
  const fx = await oauthServer(t, {
    env: { AUTHPLANE_OAUTH_LOGIN_MAX_FAILURES: '3' },
    // The test's requests come from loopback; X-Forwarded-For stands for the client addresses behind a proxy.
    config: { server: { trustedProxies: ['loopback'] } },
  });
  const form = await loginForm(fx);
  assert.equal((await postLogin(fx, form, 'wrong 1', '2001:db8:0:7::1')).status, 401);
  assert.equal((await postLogin(fx, form, 'wrong 2', '2001:db8:0:7:ffff:ffff:ffff:ffff')).status, 401);
  assert.equal((await postLogin(fx, form, 'wrong 3', '2001:0db8:0000:0007::2')).status, 429, 'the third failure from the /64 locks it');

  const sameHost = await postLogin(fx, form, USER.password, '2001:db8:0:7:1234:5678:9abc:def0');
  assert.equal(sameHost.status, 429, 'another address of the same /64 is locked out too');
  assert.ok(!signedIn(sameHost));

  const nextPrefix = await postLogin(fx, form, USER.password, '2001:db8:0:8::1');
  assert.equal(nextPrefix.status, 200, 'a different /64 is a different client');
  assert.ok(signedIn(nextPrefix));
});

test('a right password is refused when parallel guesses lock the pair while it is being checked', async (t) => {
  const fx = await oauthServer(t, { env: { AUTHPLANE_OAUTH_LOGIN_MAX_FAILURES: '2' } });
  const form = await loginForm(fx);
  // The right password goes first; the two guesses behind it are counted while its hash (~100 ms of scrypt) is
  // computed, and the second of them, the third attempt of a pair allowed two, locks the pair on arrival.
  const [right, ...guesses] = await Promise.all([
    postLogin(fx, form, USER.password),
    postLogin(fx, form, 'wrong guess 1'),
    postLogin(fx, form, 'wrong guess 2'),
  ]);
  assert.equal(right!.status, 429, `the pair was locked before the success was accepted (${[right, ...guesses].map((r) => r!.status).join(' ')})`);
  assert.ok(!signedIn(right!));
  assert.ok(Number(right!.headers.get('retry-after')) > 0);
});

test('the local form answers as before the provider seam: its messages, statuses, kept email and return_to, and audited failures', async (t) => {
  const fx = await oauthServer(t);
  const returnTo = '/consent?client_id=x';
  const post = async (fields: Record<string, string>) => {
    const browser = new ScriptedBrowser(fx.url);
    const page = await browser.request(`/login?${new URLSearchParams({ return_to: returnTo })}`);
    return browser.submit(page, fields);
  };
  const message = (body: string) => /role="alert"><strong>([^<]*)</.exec(body)?.[1];

  const expired = await post({ csrf_token: 'forged', email: 'ada@example.com', password: 'secret guess' });
  assert.equal(expired.status, 400);
  assert.equal(message(expired.body), 'The form expired. Please sign in again.');
  assert.match(expired.body, /name="email"[^>]*value="ada@example.com"/, 'the email is kept');
  assert.match(expired.body, /name="return_to" value="\/consent\?client_id=x"/, 'and where the login was going');
  assert.doesNotMatch(expired.body, /secret guess/, 'the password is never sent back');

  const empty = await post({ email: 'ada@example.com', password: '' });
  assert.equal(empty.status, 400);
  assert.equal(message(empty.body), 'Enter your email and password.');

  const wrong = await post({ email: USER.email, password: 'wrong' });
  assert.equal(wrong.status, 401);
  assert.equal(message(wrong.body), 'Invalid email or password.');
  const failed = await (await fx.admin('/admin/audit?action=user_login_failed')).json();
  assert.deepEqual(failed.events.map((e: { detail: unknown }) => e.detail), [{ reason: 'invalid_credentials', provider: 'local' }], 'only the checked password is a failed login');
});
