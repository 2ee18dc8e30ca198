import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { oauthServer, USER } from './setup.js';

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
