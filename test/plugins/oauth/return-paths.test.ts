/**
 * The login seam for other plugins' browser routes (plugins/oauth/return-paths.ts, the `interactions` service's
 * `signedInUser`, `allowReturnPath`, `loginRedirect`): a route that needs a signed-in user sends the browser to the
 * login page and gets it back once signed in, and only to paths under a prefix a plugin registered — never
 * elsewhere, whatever the `return_to` says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loginRequiredRoute } from '../../fixtures/plugins/login-required-route.js';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { startServer } from '../../helpers/server.js';
import { clients, oauth, resources, users } from 'authplane/plugins';
import { loggedInBrowser } from './flow.js';
import { oauthServer, USER } from './setup.js';

test('a plugin route sends a browser without a session to the login page with a 303, and the local login brings it back signed in', async (t) => {
  const fx = await oauthServer(t, { extra: [loginRequiredRoute()()] });
  const anonymous = await fetch(`${fx.url}/probe/github?resource=https%3A%2F%2Fgh.example.com%2Fmcp`, { redirect: 'manual' });
  assert.equal(anonymous.status, 303);
  assert.equal(anonymous.headers.get('cache-control'), 'no-store');
  assert.equal(anonymous.headers.get('location'), `/login?${new URLSearchParams({ return_to: '/probe/github?resource=https%3A%2F%2Fgh.example.com%2Fmcp' })}`);

  const browser = new ScriptedBrowser(fx.url);
  const login = await browser.request('/probe/github?resource=https%3A%2F%2Fgh.example.com%2Fmcp');
  assert.equal(new URL(login.url).pathname, '/login');
  assert.equal(login.status, 200);
  const back = await browser.login(login, USER.email, USER.password);
  assert.equal(back.status, 200, back.body);
  assert.equal(back.url, `${fx.url}/probe/github?resource=https%3A%2F%2Fgh.example.com%2Fmcp`);
  assert.match(back.body, new RegExp(`<p id="who">github for ${fx.userId}</p>`), 'signedInUser names the user who logged in');

  // Signed in now: the route answers straight away.
  const again = await browser.request('/probe/gitlab');
  assert.equal(again.url, `${fx.url}/probe/gitlab`);
  assert.match(again.body, new RegExp(`gitlab for ${fx.userId}`));
});

test('a return_to outside the registered prefixes, or one a browser would resolve out of them, is dropped', async (t) => {
  const fx = await oauthServer(t, { extra: [loginRequiredRoute()()] });
  const browser = await loggedInBrowser(fx);
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  // Signed in, GET /login redirects to a kept return_to at once and shows the signed-in page otherwise.
  const kept = async (value: string) => {
    const response = await fetch(`${fx.url}/login?${new URLSearchParams({ return_to: value })}`, { headers: { cookie }, redirect: 'manual' });
    await response.body?.cancel();
    return response.status >= 300 && response.status < 400 ? response.headers.get('location') : undefined;
  };
  for (const value of ['/probe/github', '/probe/github?resource=x&return_url=https%3A%2F%2Fapp.example.com%2F', '/oauth/authorize?client_id=x']) {
    assert.equal(await kept(value), value, value);
  }
  for (const value of [
    '/elsewhere/x',
    '/probe',
    '/probes/x',
    '//evil.example/probe/',
    '/probe//evil.example',
    '/probe/../admin',
    '/probe/%2e%2e/admin',
    '/probe/%2E%2E/admin',
    '/probe\\evil',
    '/\\evil.example/probe/',
    'https://evil.example/probe/',
    '/probe/x#fragment',
    '/probe/x y',
    `/probe/${'a'.repeat(2100)}`,
  ]) {
    assert.equal(await kept(value), undefined, value);
  }

  // Not signed in: the login ends on the signed-in page instead of going anywhere it was told.
  const stranger = new ScriptedBrowser(fx.url);
  const login = await stranger.request(`/login?${new URLSearchParams({ return_to: '/elsewhere/x' })}`);
  const after = await stranger.login(login, USER.email, USER.password);
  assert.equal(after.status, 200);
  assert.equal(new URL(after.url).pathname, '/login');
  assert.match(after.body, /You are signed in as/);
});

test("loginRedirect drops a path outside the caller's prefixes and says so in the log, without the path", async (t) => {
  const fx = await oauthServer(t, { extra: [loginRequiredRoute()()] });
  const before = fx.logs.length;
  const response = await fetch(`${fx.url}/elsewhere-probe`, { redirect: 'manual' });
  assert.equal(response.status, 303);
  assert.equal(response.headers.get('location'), '/login');
  const line = fx.logs.slice(before).find((l) => String(l.msg).startsWith('loginRedirect'));
  assert.ok(line, 'a warning names the dropped return path');
  assert.ok(!JSON.stringify(line).includes('/elsewhere/x'));
});

test('a return-path prefix of the wrong shape, or one registered after register, stops boot', async (t) => {
  const base = () => [clients(), resources(), users(), oauth()];
  for (const prefix of ['probe/', '/probe', '/', '/a/../b/', '/pro be/']) {
    await assert.rejects(
      startServer(t, { plugins: [...base(), loginRequiredRoute({ prefix })()] }),
      (err: Error & { code?: string }) => err.code === 'AP_ERR_OAUTH_RETURN_PATH_INVALID' && err.message.includes(`'${prefix}'`),
      prefix,
    );
  }
  await assert.rejects(
    startServer(t, { plugins: [...base(), loginRequiredRoute({ registerIn: 'init' })()] }),
    (err: Error & { code?: string }) => err.code === 'AP_ERR_OAUTH_RETURN_PATH_INVALID' && /after register/.test(err.message),
  );
});
