/**
 * `authserver build` with the admin console: the built directory carries no page sources and no esbuild, so the
 * build bundles the console of its config into `<out>/console/`, and the built server serves it — the pages of the
 * plugins the config lists and no others (no DCR page without the dcr plugin), signed in to in a real browser.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromiumMissing, launchChromium, openPage, signInWithKey } from '../helpers/chromium.js';
import { repoTempDir } from '../helpers/config-files.js';
import { ADMIN_KEY } from '../helpers/server.js';
import { buildServer, serveBuilt } from './built-server.js';

const missing = chromiumMissing();
const skip = missing && process.env.CI !== 'true' ? missing : false;

const CONSOLE_CONFIG = `
import { defineConfig } from 'authplane';
import { adminUi, clientCredentials, clients, keystoreKeyfile, resources, storageSqlite } from 'authplane/plugins';

export default defineConfig({
  storage: { sqlite: { path: 'data/authserver.db' } },
  signing: { keyPath: 'data/keys' },
  plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), clientCredentials(), adminUi()],
});
`;

test('a build with admin-ui serves the console it bundled: its plugins\' pages only, no sources beside it, refused once tampered with', { skip }, async (t) => {
  const configFile = join(repoTempDir(t, 'console-build-'), 'authplane.config.ts');
  writeFileSync(configFile, CONSOLE_CONFIG);
  const { dir, stdout } = await buildServer(t, configFile);

  assert.match(stdout, /^ {2}console {3}console\/console-[\w-]{16}\.js: 5 pages \(clients, resources, overview, keys, system\), \d+ KiB, \d+ KiB gzipped$/m);
  const manifest = JSON.parse(readFileSync(join(dir, 'console/manifest.json'), 'utf8')) as { file: string; pages: { path: string }[] };
  assert.deepEqual(manifest.pages.map((p) => p.path), ['clients', 'resources', 'overview', 'keys', 'system']);
  assert.deepEqual(readdirSync(join(dir, 'console')).sort(), [manifest.file, 'manifest.json'].sort());
  // Nothing the run-time build would read is there: the console must come from console/.
  for (const absent of ['admin-ui', 'plugins', 'node_modules/esbuild', 'node_modules/lit']) assert.ok(!existsSync(join(dir, absent)), `${absent} is in the build`);

  const first = await serveBuilt(t, dir, { env: { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY } });
  const shell = await fetch(`${first.adminUrl}/admin/ui/`);
  assert.equal(shell.status, 200, await shell.clone().text());
  const html = await shell.text();
  assert.ok(html.includes(`/admin/ui/assets/${manifest.file}`), html);
  const asset = await fetch(`${first.adminUrl}/admin/ui/assets/${manifest.file}`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get('content-encoding'), 'gzip');
  const js = await asset.text();
  assert.equal(js, readFileSync(join(dir, 'console', manifest.file), 'utf8'), 'the served bundle is the one the build wrote');
  assert.ok(js.includes('ap-clients-page') && js.includes('ap-resources-page'));
  for (const absent of ['ap-dcr-page', 'ap-users-page', 'ap-issuances-page', '/admin/settings/dcr']) assert.ok(!js.includes(absent), `${absent} is in the console of a build without its plugin`);

  const browser = await launchChromium(t);
  const { page, problems } = await openPage(browser);
  await signInWithKey(page, first.adminUrl!, ADMIN_KEY);
  const nav = page.getByRole('navigation', { name: 'Console' });
  await nav.getByRole('link', { name: 'Clients' }).click();
  await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'DCR mode' }).count(), 0, 'a DCR entry in the navigation of a build without dcr');
  assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0);
  // The Overview asks for counts of plugins this build has not (users, issuances): the server answers 404, the browser logs it.
  assert.deepEqual(problems.filter((p) => !/status of 404 /.test(p)), []);
  assert.match(first.output(), /"msg":"admin console loaded \(built by authserver build\)"/);
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.output());

  // A bundle changed after the build is refused, saying why, not served.
  appendFileSync(join(dir, 'console', manifest.file), '\n;');
  const second = await serveBuilt(t, dir, { env: { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY } });
  const refused = await fetch(`${second.adminUrl}/admin/ui/`);
  assert.equal(refused.status, 503);
  assert.match(await refused.text(), /changed since it was built: run authserver build again/);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.output());
});
