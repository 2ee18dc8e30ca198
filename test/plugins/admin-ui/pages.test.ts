/**
 * The console's Users, Issuances, Audit log, Signing keys and System pages in a real browser (Debian's chromium
 * through playwright-core) against a real server with a real user, consent and token: rotate a key and see both
 * kids; inspect a token with a wrong audience and read why; create and disable a user; find a token and revoke it;
 * revoke a consent and watch its audit row arrive in the live tail; no console errors or CSP violations.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { adminUi, issuances, users } from 'authplane/plugins';
import { chromiumMissing, launchChromium, openPage, type WatchedPage } from '../../helpers/chromium.js';
import { ADMIN_KEY, REPO_ROOT, startServer } from '../../helpers/server.js';
import { getCode, redeem } from '../oauth/flow.js';
import { RESOURCE_URI, USER, oauthServer, type OAuthFixture } from '../oauth/setup.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/admin-ui');
const missing = chromiumMissing();
const skip = missing && process.env.CI !== 'true' ? missing : false;

async function serverWithToken(t: TestContext): Promise<{ fx: OAuthFixture; accessToken: string }> {
  const fx = await oauthServer(t, { extra: [issuances(), adminUi()] });
  const { code, verifier } = await getCode(fx);
  const response = await redeem(fx, code, verifier);
  assert.equal(response.status, 200);
  return { fx, accessToken: ((await response.json()) as { access_token: string }).access_token };
}

/** A tab signed in with the admin API key; every confirm() is accepted. */
async function signedIn(browser: Browser, fx: { adminUrl: string }, colorScheme: 'light' | 'dark' = 'light'): Promise<WatchedPage> {
  const watched = await openPage(browser, { colorScheme });
  watched.page.on('dialog', (dialog) => void dialog.accept());
  await watched.page.goto(`${fx.adminUrl}/admin/ui/`);
  await watched.page.getByLabel('Admin API key').fill(ADMIN_KEY);
  await watched.page.getByRole('button', { name: 'Sign in with the API key' }).click();
  await watched.page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  return watched;
}

async function go(watched: WatchedPage, link: string, heading = link) {
  await watched.page.getByRole('link', { name: link, exact: true }).click();
  await watched.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

test('signing keys: rotate and see both kids; the JWT inspector says a wrong audience is why; the system page', { skip }, async (t) => {
  const { fx, accessToken } = await serverWithToken(t);
  const browser = await launchChromium(t);
  mkdirSync(ARTIFACTS, { recursive: true });
  const tab = await signedIn(browser, fx);
  const { page } = tab;

  await go(tab, 'Signing keys');
  const before = ((await (await fx.admin('/admin/keys')).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  assert.equal(before.length, 1);
  await page.getByRole('cell', { name: before[0]! }).waitFor();
  await page.getByRole('button', { name: 'Rotate key' }).click();
  await page.getByText(/New signing key/).waitFor();
  const after = ((await (await fx.admin('/admin/keys')).json()) as { keys: { kid: string; status: string }[] }).keys;
  const fresh = after.find((k) => k.status === 'current')!;
  assert.notEqual(fresh.kid, before[0]);
  // Both kids on the page: the new one current, the old one still published.
  await page.getByRole('row').filter({ hasText: fresh.kid }).filter({ hasText: 'current' }).waitFor();
  await page.getByRole('row').filter({ hasText: before[0]! }).filter({ hasText: 'retired, published' }).waitFor();

  await page.getByRole('textbox', { name: /^Token/ }).fill(accessToken);
  await page.getByLabel('Expected audience (resource URI)').fill('https://other.example.com/mcp');
  await page.getByRole('button', { name: 'Inspect' }).click();
  await page.getByTestId('verdict').filter({ hasText: 'Not valid: Audience (aud).' }).waitFor();
  const audLine = (await page.locator('li[data-check="aud"]').textContent())!;
  assert.match(audLine, /fail/);
  assert.match(audLine, new RegExp(`aud is ${RESOURCE_URI}, which does not contain the expected resource https://other\\.example\\.com/mcp`));
  assert.match((await page.locator('li[data-check="signature"]').textContent())!, /pass.*valid for key/);
  assert.match((await page.locator('li[data-check="kid"]').textContent())!, /older key/, 'signed by the key rotated out');
  await page.screenshot({ path: join(ARTIFACTS, 'keys-inspector-light.png'), fullPage: true });

  await page.getByLabel('Expected audience (resource URI)').fill(RESOURCE_URI);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await page.getByTestId('verdict').filter({ hasText: 'Valid: every check passed.' }).waitFor();

  await go(tab, 'System');
  await page.getByRole('list', { name: 'Enabled plugins' }).getByText('issuances', { exact: true }).waitFor();
  assert.match((await page.locator('[data-version="node"]').textContent())!, /^\d+\.\d+\.\d+$/);
  const config = (await page.getByTestId('config').textContent())!;
  assert.ok(!config.includes(ADMIN_KEY), 'no secret in the sanitized config');
  assert.deepEqual(tab.problems, [], 'no console errors or CSP violations');
});

test('users, issuances and the audit live tail: revoke a consent and watch its audit row arrive', { skip }, async (t) => {
  const { fx, accessToken } = await serverWithToken(t);
  const jti = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).jti as string;
  const browser = await launchChromium(t);
  mkdirSync(ARTIFACTS, { recursive: true });

  // Tab A watches the live tail.
  const tail = await signedIn(browser, fx, 'dark');
  await go(tail, 'Audit log');
  await tail.page.getByRole('button', { name: 'Start live tail' }).click();
  await tail.page.getByTestId('tail-state').filter({ hasText: 'Connected' }).waitFor();

  // Tab B acts.
  const admin = await signedIn(browser, fx);
  const { page } = admin;
  await go(admin, 'Users');
  await page.getByRole('button', { name: 'New user' }).click();
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Name').fill('Grace');
  await page.getByLabel('Password').fill('a long enough password');
  await page.getByRole('button', { name: 'Create user' }).click();
  // The refused field, next to the field.
  await page.locator('ap-form-field[name="email"] .error').waitFor();
  await page.getByLabel('Email').fill('grace@example.com');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('button', { name: 'Disable grace@example.com' }).click();
  await page.getByRole('button', { name: 'Enable grace@example.com' }).waitFor();
  const grace = ((await (await fx.admin('/admin/users/grace@example.com')).json()) as { status: string }).status;
  assert.equal(grace, 'disabled');
  await tail.page.getByRole('cell', { name: 'user_disabled' }).waitFor();

  // The token, found by client and revoked.
  await go(admin, 'Issuances');
  await page.getByLabel('Client id').fill(fx.clientId);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('button', { name: `Revoke ${jti}` }).click();
  await page.getByRole('row').filter({ hasText: fx.clientId }).filter({ hasText: 'revoked' }).waitFor();
  const issuance = (await (await fx.admin(`/admin/issuances/${jti}`)).json()) as { status: string };
  assert.equal(issuance.status, 'revoked');
  await page.screenshot({ path: join(ARTIFACTS, 'issuances-light.png'), fullPage: true });

  // The user's view: their consent, token and identities; revoke the consent.
  await go(admin, 'Users');
  await page.getByRole('link', { name: USER.name }).click();
  await page.getByRole('heading', { name: USER.name, level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Linked identities', exact: true }).waitFor();
  await page.getByRole('row').filter({ hasText: jti }).waitFor();
  await page.getByRole('button', { name: `Revoke consent of ${fx.clientId}` }).click();
  await page.getByText('Consent revoked').waitFor();
  await page.getByRole('heading', { name: 'No consents' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'user-detail-light.png'), fullPage: true });

  // …and the audit row arrives in the other tab's live tail, with the consent's id.
  const row = tail.page.getByRole('row').filter({ has: tail.page.getByRole('cell', { name: 'consent_revoked' }) });
  await row.waitFor();
  assert.match((await row.textContent())!, new RegExp(fx.userId));
  await tail.page.screenshot({ path: join(ARTIFACTS, 'audit-live-tail-dark.png'), fullPage: true });

  await admin.page.getByRole('button', { name: 'Force logout' }).click();
  await admin.page.getByText('was logged out everywhere').waitFor();
  await tail.page.getByRole('cell', { name: 'token_revoked' }).first().waitFor();

  // The one refused create is the browser's "failed to load" line; nothing else.
  const refused = `console: Failed to load resource: the server responded with a status of 400 (Bad Request) (${fx.adminUrl}/admin/users)`;
  assert.deepEqual(admin.problems, [refused], 'no console errors or CSP violations');
  assert.deepEqual(tail.problems, [], 'no console errors or CSP violations in the tail');
});

test("without the oauth and issuances plugins, a user's consents and tokens say they are not enabled", { skip }, async (t) => {
  const server = await startServer(t, { plugins: [users(), adminUi()] });
  const created = await server.admin('/admin/users', { method: 'POST', body: JSON.stringify({ email: 'lin@example.com', name: 'Lin', password: 'a long enough password' }) });
  assert.equal(created.status, 201);
  const browser = await launchChromium(t);
  const tab = await signedIn(browser, server);
  await go(tab, 'Users');
  assert.equal(await tab.page.getByRole('link', { name: 'Issuances' }).count(), 0, 'no page of a plugin that is not enabled');
  // The first page of the list, as loaded (no action re-rendered it).
  await tab.page.getByRole('link', { name: 'Lin' }).click();
  await tab.page.getByRole('heading', { name: 'Lin', level: 1 }).waitFor();
  const notEnabled = tab.page.getByTestId('not-enabled');
  await notEnabled.first().waitFor();
  assert.deepEqual(await notEnabled.allTextContents(), [
    'Consents is not enabled on this server (plugin oauth).',
    'Tokens is not enabled on this server (plugin issuances).',
  ]);
  await tab.page.getByRole('button', { name: 'Force logout' }).click();
  await tab.page.getByText('force logout needs the oauth plugin, which is not enabled').waitFor();
  const notFound = (path: string) => `console: Failed to load resource: the server responded with a status of 404 (Not Found) (${server.adminUrl}${path})`;
  const user = (await (await server.admin('/admin/users/lin@example.com')).json()) as { id: string };
  // The Overview's counts of clients and tokens are 404s too on this server; nothing but 404s.
  const overview = (p: string) => p.includes('/admin/clients)') || p.includes('/admin/issuances?since=');
  assert.deepEqual(
    tab.problems.filter((p) => !overview(p)).sort(),
    [notFound(`/admin/issuances?user=${user.id}&limit=100`), notFound(`/admin/users/${user.id}/grants`), notFound(`/admin/users/${user.id}/tokens`)].sort(),
    'only the absent endpoints, nothing else',
  );
  assert.ok(tab.problems.filter(overview).every((p) => p.includes('status of 404')), tab.problems.join('\n'));
});
