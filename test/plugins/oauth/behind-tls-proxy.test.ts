/**
 * Production runs behind a TLS-terminating proxy: the issuer is https while the server's own socket is plain http.
 * The login cookies are still written, and marked Secure, because the issuer's scheme is what the browser used.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clients, oauth, resources, users } from 'authplane/plugins';
import { parseForms } from '../../helpers/browser.js';
import { startServer } from '../../helpers/server.js';

const ENV = { AUTHPLANE_SERVER_ISSUER: 'https://auth.example.com', AUTHPLANE_SESSION_SECRET: 'Vq3nX8pL2sK9dR4tW7yB1cM6hJ5gF0aZ' };
const USER = { email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada', role: 'user' };

function setCookies(response: Response): Map<string, string> {
  return new Map(response.headers.getSetCookie().map((line) => [line.slice(0, line.indexOf('=')), line]));
}

test('behind a TLS-terminating proxy the login page and a password login set Secure cookies instead of failing', async (t) => {
  const server = await startServer(t, { plugins: [clients(), resources(), users(), oauth()], env: ENV });
  assert.equal((await server.admin('/admin/users', { method: 'POST', body: JSON.stringify(USER) })).status, 201);

  const page = await fetch(`${server.url}/login`);
  assert.equal(page.status, 200, await page.clone().text());
  const csrf = setCookies(page).get('ap_csrf');
  assert.ok(csrf, 'the login form has its CSRF cookie');
  assert.match(csrf, /; secure/i);
  const form = parseForms(await page.text()).find((f) => 'password' in f.fields);
  assert.ok(form, 'the page shows the password form');

  const login = await fetch(new URL(form.action, server.url), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrf.split(';')[0]! },
    body: new URLSearchParams({ ...form.fields, email: USER.email, password: USER.password }),
  });
  assert.equal(login.status, 200, await login.clone().text());
  const session = setCookies(login).get('ap_session');
  assert.ok(session, 'the login sets the session cookie');
  assert.match(session, /; secure/i);
  assert.match(session, /; httponly/i);
});
