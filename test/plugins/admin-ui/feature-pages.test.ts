/**
 * The feature plugins' console pages in a real browser (Debian's chromium through playwright-core) against a real
 * server with those plugins: create a resource and copy its metadata URL; switch the DCR mode and see a refused
 * value next to its field; create and delete a fronting link; create a broker provider; create a trusted issuer,
 * fetch its JWKS and give it an XAA policy; the federated providers listed with their discovery. Every page renders
 * in light and dark without console errors. And a server without the dcr plugin has no DCR page.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  adminUi,
  broker,
  clients,
  dcr,
  fronting,
  jwtBearer,
  oauth,
  oidcFederation,
  resources,
  tokenExchange,
  trustedIssuers,
  users,
} from 'authplane/plugins';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium, openPage } from '../../helpers/chromium.js';
import { ADMIN_KEY, REPO_ROOT, freePort, startServer, type TestServer } from '../../helpers/server.js';
import { startUpstreamIdp, type UpstreamIdp } from '../oidc-federation/upstream-idp.js';
import { connect, connectFixture, signedIn } from '../broker/connect-setup.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/admin-ui');
const missing = chromiumMissing();
const skip = missing && process.env.CI !== 'true' ? missing : false;
const timeout = () => AbortSignal.timeout(60_000);
const PAGES = ['Resources', 'DCR mode', 'Fronting links', 'Broker', 'Trusted issuers', 'XAA policies', 'Federated providers'];

/** The Overview page asks for issuances, which this server (without the issuances plugin) answers 404; the browser logs it. */
const overviewProbe = (problem: string) => /status of 404 .*\/admin\/issuances\?/.test(problem);

async function featureServer(t: TestContext): Promise<{ server: TestServer; acme: UpstreamIdp }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const acme = await startUpstreamIdp(t, 'acme', issuer);
  const server = await startServer(t, {
    env: { ACME_CLIENT_SECRET: acme.secret, AUTHPLANE_BROKER_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') },
    config: { server: { address: `127.0.0.1:${port}`, issuer } },
    plugins: [
      clients(),
      users(),
      resources(),
      oauth(),
      dcr({ approvedRedirects: ['https://app.example.com/callback'] }),
      fronting(),
      tokenExchange(),
      broker(),
      trustedIssuers({ allowPrivateAddresses: true }),
      jwtBearer(),
      oidcFederation({
        providers: [{ id: 'acme', displayName: 'Acme ID', issuer: acme.issuer, clientId: acme.clientId, clientSecretEnv: 'ACME_CLIENT_SECRET' }],
        outbound: { allowPrivateAddresses: true },
      }),
      adminUi(),
    ],
  });
  return { server, acme };
}

async function signIn(page: Page, server: TestServer): Promise<void> {
  await page.goto(`${server.adminUrl}/admin/ui/`);
  await page.getByLabel('Admin API key').fill(ADMIN_KEY);
  await page.getByRole('button', { name: 'Sign in with the API key' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}

async function open(page: Page, title: string, heading = title): Promise<void> {
  await page.getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

async function post(server: TestServer, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await server.admin(path, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(response.status, 201, `${path}: ${await response.clone().text()}`);
  return (await response.json()) as Record<string, unknown>;
}

test('the feature pages: resources and their metadata URL, DCR mode, fronting links, broker providers, trusted issuers and XAA, federated providers', { skip }, async (t) => {
  const { server, acme } = await featureServer(t);
  const browser = await launchChromium(t);
  mkdirSync(ARTIFACTS, { recursive: true });
  const { page, problems, context } = await openPage(browser);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.adminUrl });
  await signIn(page, server);

  // Resources: create one with a scope; a refused scope name is shown next to that field first.
  await open(page, 'Resources');
  await page.getByRole('button', { name: 'New resource' }).click();
  await page.getByLabel('Display name').fill('Files MCP');
  await page.getByLabel('Slug').fill('files');
  await page.getByLabel('Resource URI').fill('https://mcp.example.com/files');
  await page.getByRole('button', { name: 'Add scope' }).click();
  await page.getByLabel('Scope 1 name').fill('files read');
  await page.getByLabel('Scope 1 description').fill('Read your files');
  await page.getByRole('button', { name: 'Create resource' }).click();
  const scopeField = page.locator("ap-form-field[name='scopes.0.name']");
  await scopeField.locator('.error').waitFor();
  assert.equal(await scopeField.locator('input').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Scope 1 name').fill('files:read');
  await page.getByRole('button', { name: 'Create resource' }).click();
  await page.getByRole('cell', { name: /^Files MCP/ }).waitFor();
  const prmUrl = `${server.url}/.well-known/oauth-protected-resource/files`;
  const shown = page.getByTestId('prm-url').filter({ hasText: prmUrl });
  await shown.waitFor();
  await page.getByRole('button', { name: 'Copy the metadata URL of Files MCP' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), prmUrl);
  const prm = (await (await fetch(prmUrl, { signal: timeout() })).json()) as { resource: string; scopes_supported: string[] };
  assert.deepEqual([prm.resource, prm.scopes_supported], ['https://mcp.example.com/files', ['files:read']]);
  const stored = (await (await server.admin('/admin/resources/files')).json()) as { scopes: unknown[] };
  assert.deepEqual(stored.scopes, [{ name: 'files:read', description: 'Read your files' }]);
  await page.screenshot({ path: join(ARTIFACTS, 'resources-light.png'), fullPage: true });

  // DCR mode: switch it; a value the server refuses (as an outdated console might send) is shown at its field.
  await open(page, 'DCR mode');
  assert.equal(await page.getByTestId('dcr-mode').textContent(), 'open');
  assert.equal(await page.getByTestId('approved-redirects').textContent(), 'https://app.example.com/callback');
  await page.getByLabel('Mode').selectOption('admin_only');
  await page.getByRole('button', { name: 'Save mode' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  assert.equal(await page.getByTestId('dcr-mode').textContent(), 'admin_only');
  assert.equal(((await (await server.admin('/admin/settings/dcr')).json()) as { mode: string }).mode, 'admin_only');
  await page.getByLabel('Mode').evaluate((select) => select.append(new Option('closed', 'closed')));
  await page.getByLabel('Mode').selectOption('closed');
  await page.getByRole('button', { name: 'Save mode' }).click();
  const modeField = page.locator("ap-form-field[name='mode']");
  await modeField.locator('.error').waitFor();
  assert.match((await modeField.locator('.error').textContent())!, /allowed values|one of/);
  assert.equal(((await (await server.admin('/admin/settings/dcr')).json()) as { mode: string }).mode, 'admin_only');

  // Fronting links: create one between two resources, then delete it.
  await post(server, '/admin/resources', { slug: 'gateway', display_name: 'Gateway', uri: 'https://gw.example.com/mcp', scopes: [{ name: 'gw:read' }] });
  await open(page, 'Fronting links');
  await page.getByRole('button', { name: 'New link' }).click();
  await page.getByLabel('Source resource').fill('gateway');
  await page.getByLabel('Target resource').fill('files');
  await page.getByLabel('Scope map').fill('gw:read = files:read');
  await page.getByRole('button', { name: 'Create link' }).click();
  await page.getByRole('cell', { name: 'gw:read → files:read' }).waitFor();
  assert.equal(((await (await server.admin('/admin/fronting')).json()) as { links: unknown[] }).links.length, 1);
  // While the link refers to it, deleting the gateway is refused, naming the link.
  await open(page, 'Resources');
  await page.getByRole('button', { name: 'Delete Gateway' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  assert.match((await page.getByTestId('dependents').textContent())!, /fronting_link .*gateway → files/);
  await page.getByRole('button', { name: 'Delete it and its dependents' }).waitFor();
  await page.locator('ap-dialog#delete').getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await server.admin('/admin/resources/gateway')).status, 200);
  await open(page, 'Fronting links');
  await page.getByRole('button', { name: 'Delete the link gateway to files' }).click();
  await page.getByRole('button', { name: 'Delete link' }).click();
  await page.getByText('No fronting links').waitFor();
  assert.equal(((await (await server.admin('/admin/fronting')).json()) as { links: unknown[] }).links.length, 0);

  // Broker: create a provider; a bad token URL is refused at its field, the secret is only ever a variable name.
  await open(page, 'Broker', 'Broker providers');
  await page.getByRole('button', { name: 'New provider' }).click();
  await page.getByLabel('Display name').fill('GitHub');
  await page.getByLabel('Slug').fill('github');
  await page.getByLabel('Client id').fill('Iv1.0123456789abcdef');
  await page.getByLabel('Client secret variable').fill('GITHUB_CLIENT_SECRET');
  await page.getByLabel('Authorize URL').fill('https://github.com/login/oauth/authorize');
  await page.getByLabel('Token URL').fill('ftp://github.com/token');
  await page.getByRole('button', { name: 'Create provider' }).click();
  await page.locator("ap-form-field[name='token_url'] .error").waitFor();
  await page.getByLabel('Token URL').fill('https://github.com/login/oauth/access_token');
  await page.getByLabel('Token response quirk').selectOption('github');
  await page.getByRole('button', { name: 'Create provider' }).click();
  await page.getByRole('cell', { name: /^GitHub/ }).waitFor();
  await page.getByRole('cell', { name: '$GITHUB_CLIENT_SECRET' }).waitFor();
  const provider = (await (await server.admin('/admin/broker-providers/github')).json()) as { config: Record<string, unknown> };
  assert.equal(provider.config.response_quirk, 'github');
  assert.equal(provider.config.token_url, 'https://github.com/login/oauth/access_token');
  await page.getByText('No grants').waitFor();

  // Trusted issuers: create one (the loopback OpenID provider), fetch its JWKS; then an XAA policy for it.
  await open(page, 'Trusted issuers');
  await page.getByRole('button', { name: 'New issuer' }).click();
  await page.getByLabel(/^Name/).fill('acme-idp');
  await page.getByLabel(/^Issuer/).fill(acme.issuer);
  await page.getByRole('button', { name: 'Create issuer' }).click();
  await page.getByRole('cell', { name: 'acme-idp', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Refresh the JWKS of acme-idp' }).click();
  await page.getByRole('status').filter({ hasText: /acme-idp: fetched \d+ keys? from / }).waitFor();
  await open(page, 'XAA policies');
  await page.getByRole('button', { name: 'New policy' }).click();
  await page.getByLabel('Scopes').fill('files:read');
  await page.getByLabel('Resources').fill('https://mcp.example.com/files');
  await page.getByRole('button', { name: 'Create policy' }).click();
  await page.getByRole('button', { name: 'Edit the policy of acme-idp' }).waitFor();
  const policies = (await (await server.admin('/admin/xaa/policies')).json()) as { policies: { scopes: string[]; resources: string[] }[] };
  assert.deepEqual(policies.policies.map((p) => [p.scopes, p.resources]), [[['files:read'], ['https://mcp.example.com/files']]]);

  // Federated providers: from the config, with their discovery.
  await open(page, 'Federated providers');
  await page.getByRole('cell', { name: /^Acme ID/ }).waitFor();
  assert.equal(await page.getByTestId('discovery-acme').textContent(), 'ok');

  // The refused saves and the refused delete above are the browser's "failed to load" lines; nothing else, and no CSP violation.
  const unexpected = problems.filter((p) => !/status of (400 \(Bad Request\)|409 \(Conflict\))/.test(p) && !overviewProbe(p));
  assert.deepEqual(unexpected, [], 'no console errors or CSP violations');
  assert.equal(problems.filter((p) => !overviewProbe(p)).length, 4, problems.join('\n'));
  await context.close();

  // Every page in both themes, without console errors.
  for (const scheme of ['light', 'dark'] as const) {
    const watched = await openPage(browser, { colorScheme: scheme });
    await signIn(watched.page, server);
    for (const title of PAGES) {
      await open(watched.page, title, title === 'Broker' ? 'Broker providers' : title);
      await watched.page.locator('ap-data-table, form').first().waitFor();
      await watched.page.screenshot({ path: join(ARTIFACTS, `${title.toLowerCase().replace(/\W+/g, '-')}-${scheme}.png`), fullPage: true });
    }
    assert.deepEqual(watched.problems.filter((p) => !overviewProbe(p)), [], `${scheme}: no console errors`);
    await watched.context.close();
  }
});

test("the broker page: users' grants listed and revoked; a provider with grants deleted only by revoking them too", { skip }, async (t) => {
  const fx = await connectFixture(t, { extra: [adminUi()] });
  await connect(fx, await signedIn(fx, 'ada'));
  await connect(fx, await signedIn(fx, 'bob'));
  const browser = await launchChromium(t);
  const { page, problems } = await openPage(browser);
  await signIn(page, fx);
  await open(page, 'Broker', 'Broker providers');
  const grantRows = page.getByRole('button', { name: /^Revoke the oidc grant of / });
  await grantRows.nth(1).waitFor();
  assert.equal(await grantRows.count(), 2);
  // Filtered by user, then revoked.
  await page.getByLabel('User id').fill(fx.userIds.bob);
  await page.getByLabel('User id').press('Enter');
  await page.getByRole('button', { name: `Revoke the oidc grant of ${fx.userIds.ada}` }).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: `Revoke the oidc grant of ${fx.userIds.bob}` }).click();
  await page.getByRole('button', { name: 'Revoke grant' }).click();
  await page.getByText('No grants').waitFor();
  const left = (await (await fx.admin('/admin/broker-grants')).json()) as { grants: { user_id: string }[] };
  assert.deepEqual(left.grants.map((g) => g.user_id), [fx.userIds.ada]);
  assert.ok(!(await page.content()).includes('ciphertext'));

  // A broker resource names the provider: refused, nothing to cascade.
  await page.getByRole('button', { name: 'Delete Acme ID' }).click();
  await page.getByRole('button', { name: 'Delete provider' }).click();
  await page.getByRole('alert').filter({ hasText: /named by resource 'files'/ }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Revoke the grants and delete' }).count(), 0);
  await page.locator('ap-dialog#delete').getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await fx.admin('/admin/resources/files', { method: 'DELETE' })).status, 204);
  // Now only ada's grant holds it: the 409 says so, and the cascade revokes it with the provider.
  await page.getByRole('button', { name: 'Delete Acme ID' }).click();
  await page.getByRole('button', { name: 'Delete provider' }).click();
  await page.getByRole('alert').filter({ hasText: /has 1 user grant/ }).waitFor();
  await page.getByRole('button', { name: 'Revoke the grants and delete' }).click();
  await page.getByText('No providers').waitFor();
  assert.equal((await fx.admin('/admin/broker-providers/oidc')).status, 404);
  assert.deepEqual(((await (await fx.admin('/admin/broker-grants')).json()) as { grants: unknown[] }).grants, []);
  const refused = problems.filter((p) => /status of 409 \(Conflict\)/.test(p));
  assert.equal(refused.length, 2, problems.join('\n'));
  assert.deepEqual(problems.filter((p) => !refused.includes(p) && !overviewProbe(p)), [], 'no other console errors');
});

test('a server without the dcr plugin has no DCR page: no navigation entry, no route, none of its code', async (t) => {
  const fetchText = async (url: string) => (await fetch(url, { signal: timeout() })).text();
  const bundleOf = async (server: TestServer) => {
    const html = await fetchText(`${server.adminUrl}/admin/ui/`);
    const src = /<script type="module" src="([^"]+)"><\/script>/.exec(html)?.[1];
    assert.ok(src, html);
    return fetchText(`${server.adminUrl}${src}`);
  };
  const withDcr = await bundleOf(await startServer(t, { plugins: [clients(), dcr(), adminUi()] }));
  assert.ok(withDcr.includes('ap-dcr-page') && withDcr.includes('/admin/settings/dcr'));
  const without = await bundleOf(await startServer(t, { plugins: [clients(), adminUi()] }));
  assert.ok(!without.includes('ap-dcr-page'), 'the DCR page is in a bundle without the dcr plugin');
  assert.ok(!without.includes('/admin/settings/dcr'), 'the DCR page code is in a bundle without the dcr plugin');
  assert.ok(!without.includes('DCR mode'), 'the DCR navigation entry is in a bundle without the dcr plugin');
});
