/**
 * The Overview in a real browser: the counts of the enabled plugins (connected accounts with the broker), the
 * refusals of the last day by reason from `GET /admin/audit/summary`, and "not enabled" for a plugin that is not,
 * with no request the browser logs as failed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { adminUi, broker, clients, fronting, oauth, resources, tokenExchange, users } from 'authplane/plugins';
import { chromiumMissing, launchChromium, openPage, signInWithKey } from '../../helpers/chromium.js';
import { ADMIN_KEY, startServer, tempDir } from '../../helpers/server.js';

const missing = chromiumMissing();
const skip = missing && process.env.CI !== 'true' ? missing : false;

test('the overview counts connected accounts and shows the last day\'s refusals by reason', { skip }, async (t) => {
  // The broker's development master key in a temporary folder rather than ./data.
  const devKeyFile = join(tempDir(t), 'broker-master.key');
  const server = await startServer(t, {
    plugins: [clients(), resources(), users(), oauth(), fronting(), tokenExchange(), broker({ encryption: { devKeyFile } }), adminUi()],
  });
  const audit = server.server.runtimeApi().audit;
  for (let i = 0; i < 3; i++) audit.emit({ action: 'token_exchange_denied', detail: { reason: 'subject_token_invalid', error: 'invalid_grant' } });
  audit.emit({ action: 'user_login_failed', detail: { reason: 'bad_password', provider: 'local' } });
  // Two days ago: outside the Overview's window.
  audit.emit({ action: 'user_login_failed', time: new Date(Date.now() - 2 * 86_400_000), detail: { reason: 'old' } });
  await audit.flush();

  const browser = await launchChromium(t);
  const { page, problems } = await openPage(browser);
  await signInWithKey(page, server.adminUrl, ADMIN_KEY);
  await page.locator('[data-count="denied"]').filter({ hasText: /^\d+$/ }).waitFor();
  assert.equal(await page.locator('[data-count="denied"]').textContent(), '4');
  assert.equal(await page.locator('[data-count="connections"]').textContent(), '0', 'the broker is enabled: its grants are counted');
  assert.equal(await page.locator('[data-count="issued"]').textContent(), 'not enabled', 'no issuances plugin here');

  const table = page.getByRole('region', { name: 'Refusals by reason, last 24 hours' });
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent!.trim())));
  assert.deepEqual(rows, [
    ['token exchange: subject_token_invalid', '3'],
    ['user login: bad_password', '1'],
  ]);
  // The bar chart (uPlot draws on a canvas): one bar per refusal, described for those who cannot see it.
  const chart = table.getByRole('img', { name: /^Refusals by reason: / });
  assert.equal(await chart.getAttribute('aria-label'), 'Refusals by reason: token exchange: subject_token_invalid 3, user login: bad_password 1');
  assert.equal(await chart.locator('canvas').count(), 1);
  const painted = await chart.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0 && data[i]! > data[i + 2]! + 40) coloured++;
    return coloured;
  });
  assert.ok(painted > 500, `the bars are drawn in the refusal colour (${painted} reddish pixels)`);
  assert.deepEqual(problems, [], 'no console errors: a plugin that is not enabled is not asked');
});
