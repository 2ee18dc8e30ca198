/**
 * The admin console in a real browser (Debian's chromium through playwright-core) against a real server: sign in
 * with the admin API key; sign in with an admin user's login through the server's own login and consent pages (and
 * a user who is not an admin refused with a page saying so); create a client and see its secret once; no console
 * errors or CSP violations. Screenshots of each page, light and dark, go to test-artifacts/admin-ui/ (gitignored).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { adminUi, adminUiLogin, clients, issuances, oauth, resources, revocation, users } from 'authplane/plugins';
import { seriousViolations } from '../../helpers/axe.js';
import { chromiumMissing, launchChromium, openPage } from '../../helpers/chromium.js';
import { ADMIN_KEY, REPO_ROOT, freePort, startServer, type TestServer } from '../../helpers/server.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/admin-ui');
const missing = chromiumMissing();
// Under CI the browser must be there (.ci/run installs it): a missing one fails instead of skipping.
const skip = missing && process.env.CI !== 'true' ? missing : false;
const timeout = () => AbortSignal.timeout(60_000);

async function consoleServer(t: TestContext): Promise<TestServer> {
  const adminPort = await freePort();
  const origin = `http://127.0.0.1:${adminPort}`;
  return startServer(t, {
    exactIssuer: true,
    config: { admin: { address: `127.0.0.1:${adminPort}` } },
    plugins: [
      clients(),
      resources({ seed: [{ slug: 'admin-console', display_name: 'AuthPlane admin console', uri: `${origin}/admin`, scopes: [{ name: 'admin' }] }] }),
      users(),
      oauth(),
      revocation(),
      issuances(),
      adminUi(),
      adminUiLogin(),
    ],
  });
}

async function createUser(server: TestServer, email: string, role: 'admin' | 'user'): Promise<string> {
  const response = await server.admin('/admin/users', {
    method: 'POST',
    body: JSON.stringify({ email, name: email.split('@')[0], password: 'a long enough password', role }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

test('signs in with the admin API key, shows the overview and the clients, creates a client whose secret is shown once', { skip }, async (t) => {
  const server = await consoleServer(t);
  const browser = await launchChromium(t);
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    const { page, problems, context } = await openPage(browser, { colorScheme: scheme });
    const shell = await page.goto(`${server.adminUrl}/admin/ui/`);
    assert.match(shell!.headers()['content-security-policy']!, /script-src 'self'; style-src 'self'/);
    await page.getByLabel('Admin API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in with the API key' }).click();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await page.locator('[data-count="clients"]').filter({ hasText: /^\d+$/ }).waitFor();
    assert.equal(await page.getByTestId('who').textContent(), 'Admin API key');
    await page.screenshot({ path: join(ARTIFACTS, `overview-${scheme}.png`), fullPage: true });

    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New client' }).click();
    // A refused field is shown next to that field: authorization_code without a redirect URI.
    await page.getByLabel('Name').fill(`Notes ${scheme}`);
    await page.getByLabel('authorization_code').check();
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByText('needs at least one URI when grant_types includes authorization_code').waitFor();
    // The form in its dialog, with an error shown inline: labelled, readable in both themes.
    assert.deepEqual(await seriousViolations(page, `client form (${scheme})`), [], 'no serious accessibility violation');
    await page.getByLabel('authorization_code').uncheck();
    await page.getByRole('button', { name: 'Create client' }).click();
    const secret = (await page.getByTestId('client-secret').textContent())!;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    await page.screenshot({ path: join(ARTIFACTS, `clients-secret-${scheme}.png`) });
    assert.deepEqual(await seriousViolations(page, `client secret (${scheme})`), [], 'no serious accessibility violation');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: new RegExp(`^Notes ${scheme}`) }).waitFor();
    // Shown once: the page holds it no more (once the closing dialog is gone), and the API never returns it again.
    await page.getByTestId('client-secret').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('client-secret').count(), 0);
    assert.ok(!(await page.content()).includes(secret));
    const listed = (await (await server.admin('/admin/clients')).json()) as { clients: Record<string, unknown>[] };
    const created = listed.clients.find((c) => c.client_name === `Notes ${scheme}`)!;
    assert.equal(created.client_secret, undefined);
    const token = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${created.client_id}:${secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
      signal: timeout(),
    });
    // The secret authenticates (the grant itself needs the client-credentials plugin, not enabled here).
    assert.notEqual(token.status, 401, await token.text());

    // Suspend through the page: the row changes, the audit row names the admin API key.
    await page.getByRole('button', { name: `Suspend Notes ${scheme}` }).click();
    await page.getByRole('button', { name: `Reactivate Notes ${scheme}` }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, `clients-${scheme}.png`), fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin API key').waitFor();
    // The one refused create above is the browser's "failed to load" line; nothing else, and no CSP violation.
    const refused = `console: Failed to load resource: the server responded with a status of 400 (Bad Request) (${server.adminUrl}/admin/clients)`;
    assert.deepEqual(problems, [refused], 'no console errors or CSP violations');
    await context.close();
  }
});

test('an admin user signs in through the login page and acts as user:<id>; a user who is not an admin is refused', { skip }, async (t) => {
  const server = await consoleServer(t);
  const adminId = await createUser(server, 'ada@example.com', 'admin');
  await createUser(server, 'bob@example.com', 'user');
  const browser = await launchChromium(t);

  const signIn = async (email: string) => {
    const watched = await openPage(browser);
    const { page } = watched;
    await page.goto(`${server.adminUrl}/admin/ui/`);
    await page.getByRole('button', { name: 'Sign in with your account' }).click();
    await page.waitForURL((url) => url.origin === server.url);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a long enough password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.origin === server.adminUrl, { timeout: 20_000 }).catch(async (e) => {
      throw new Error(`${e.message}\nat ${page.url()}\n${watched.problems.join('\n')}\n${(await page.content()).slice(0, 2000)}`);
    });
    return watched;
  };

  const ada = await signIn('ada@example.com');
  await ada.page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  assert.equal(await ada.page.getByTestId('who').textContent(), 'ada@example.com');
  assert.equal(new URL(ada.page.url()).pathname, '/admin/ui/', 'the callback leaves no code in the address bar');
  await ada.page.getByRole('link', { name: 'Clients' }).click();
  await ada.page.getByRole('button', { name: 'New client' }).click();
  await ada.page.getByLabel('Name').fill('Made by Ada');
  await ada.page.getByRole('button', { name: 'Create client' }).click();
  await ada.page.getByTestId('client-secret').waitFor();
  await server.server.runtimeApi().audit.flush();
  const audit = (await (await server.admin('/admin/audit?action=client_created')).json()) as { events: { actor_id: string; detail: Record<string, unknown> }[] };
  assert.ok(audit.events.some((e) => e.actor_id === `user:${adminId}`), JSON.stringify(audit.events));

  // Demoted: the same token stops working on the next request.
  const patched = await server.admin(`/admin/users/${adminId}`, { method: 'PATCH', body: JSON.stringify({ role: 'user' }) });
  assert.equal(patched.status, 200);
  await ada.page.reload();
  await ada.page.getByRole('heading', { name: 'Not an admin' }).waitFor();
  // The console's own: the public origin's pages (the login page's favicon.ico 404) are not the console's.
  const consoleProblems = (problems: string[]) => problems.filter((p) => !p.includes(`(${server.url}/`));
  assert.deepEqual(
    consoleProblems(ada.problems),
    [`console: Failed to load resource: the server responded with a status of 401 (Unauthorized) (${server.adminUrl}/admin/ui/session)`],
    'after the demotion, the session check is refused; nothing else failed',
  );

  const bob = await signIn('bob@example.com');
  await bob.page.getByRole('heading', { name: 'Not an admin' }).waitFor();
  assert.match((await bob.page.getByRole('alert').textContent())!, /bob@example\.com/);
  await bob.page.screenshot({ path: join(ARTIFACTS, 'not-admin-light.png') });
  assert.deepEqual(await seriousViolations(bob.page, 'not an admin'), [], 'no serious accessibility violation');
  // Signing out forgets the token and revokes it.
  const bobToken = await bob.page.evaluate(() => (JSON.parse(sessionStorage.getItem('authplane.admin.credential')!) as { secret: string }).secret);
  const whoami = () => fetch(`${server.adminUrl}/admin/ui/sign-in/whoami`, { headers: { authorization: `Bearer ${bobToken}` }, signal: timeout() });
  assert.deepEqual(((await (await whoami()).json()) as { admin: boolean }).admin, false);
  await bob.page.getByRole('button', { name: 'Sign out' }).click();
  await bob.page.getByRole('button', { name: 'Sign in with your account' }).waitFor();
  assert.equal(await bob.page.evaluate(() => sessionStorage.getItem('authplane.admin.credential')), null);
  assert.equal((await whoami()).status, 401, 'the token is revoked at sign-out');
  assert.ok(consoleProblems(bob.problems).every((p) => p.includes('/admin/ui/session')), bob.problems.join('\n'));
});
