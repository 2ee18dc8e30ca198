/**
 * The shell's ApiTask / ListController in a real browser: a list request still in flight when the filters change is
 * aborted, and whenever its answer comes it never replaces the newer one's rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminUi, clients } from 'authplane/plugins';
import { chromiumMissing, launchChromium, openPage, signInWithKey } from '../../helpers/chromium.js';
import { ADMIN_KEY, startServer } from '../../helpers/server.js';

const missing = chromiumMissing();
const skip = missing && process.env.CI !== 'true' ? missing : false;

test('a list answer that arrives after the filters changed leaves no stale rows', { skip }, async (t) => {
  const server = await startServer(t, { plugins: [clients(), adminUi()] });
  const ids: Record<string, string> = {};
  for (const name of ['Alpha', 'Beta']) {
    const created = await server.admin('/admin/clients', {
      method: 'POST',
      body: JSON.stringify({ client_name: name, redirect_uris: ['https://app.example.com/cb'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'client_secret_basic', scope: 'read' }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    ids[name] = ((await created.json()) as { client_id: string }).client_id;
  }
  assert.equal((await server.admin(`/admin/clients/${ids.Beta}/suspend`, { method: 'POST' })).status, 200);

  const browser = await launchChromium(t);
  const { page, problems } = await openPage(browser);
  await signInWithKey(page, server.adminUrl, ADMIN_KEY);

  // Hold the unfiltered list (the page's first load) until the filtered one has been shown.
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held: Promise<'aborted' | 'answered'> | undefined;
  await page.route(
    (url) => url.pathname === '/admin/clients',
    async (route) => {
      if (new URL(route.request().url()).searchParams.get('status') === null && !held) {
        const request = route.request();
        held = Promise.race([
          page.waitForEvent('requestfailed', { predicate: (r) => r === request }).then(() => 'aborted' as const),
          page.waitForEvent('requestfinished', { predicate: (r) => r === request }).then(() => 'answered' as const),
        ]);
        await gate;
        // Aborted by the page meanwhile: nothing left to continue.
        await route.continue().catch(() => {});
        return;
      }
      await route.continue();
    },
  );
  await page.getByRole('link', { name: 'Clients' }).click();
  await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
  await page.getByLabel('Status').selectOption('suspended');
  await page.getByRole('cell', { name: /^Beta/ }).waitFor();
  assert.ok(held, 'the first load was held');
  release();
  assert.equal(await held, 'aborted', 'the newer load aborted the one in flight');
  const names = await page.locator('ap-data-table tbody tr td:first-child').evaluateAll((cells) => cells.map((c) => c.textContent!.trim()));
  assert.equal(names.length, 1, `only the filtered rows: ${JSON.stringify(names)}`);
  assert.match(names[0]!, /^Beta/);
  assert.deepEqual(problems, [], 'an aborted request is not an error');
});
