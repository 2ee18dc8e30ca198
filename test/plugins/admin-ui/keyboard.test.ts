/**
 * The console without a mouse (issue 26 item 1, keyboard accessible): sign in with the API key by typing and Enter,
 * the skip control as the first stop, a page reached from the navigation with Tab and Enter and focus moved to it,
 * a dialog opened from the keyboard that keeps focus out of the page behind it and gives it back on Escape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminUi, clients } from 'authplane/plugins';
import type { Page } from 'playwright-core';
import { chromiumMissing, launchChromium, openPage } from '../../helpers/chromium.js';
import { ADMIN_KEY, startServer } from '../../helpers/server.js';

const missing = chromiumMissing();
const skip = missing && process.env.CI !== 'true' ? missing : false;

/** What has focus, through shadow roots: its tag, role or name. */
const focused = (page: Page) =>
  page.evaluate(() => {
    let element: Element | null = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    return element ? `${element.tagName.toLowerCase()}|${element.getAttribute('href') ?? ''}|${(element.textContent ?? '').trim().slice(0, 40)}` : '';
  });

/** Presses Tab until `matches` holds for what has focus (at most `limit` presses). */
async function tabTo(page: Page, matches: (focus: string) => boolean, limit = 40): Promise<string> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (matches(now)) return now;
  }
  throw new Error(`no focus stop matched within ${limit} tabs (last: ${await focused(page)})`);
}

test('the console by keyboard: sign in, skip link, navigation, a dialog that traps and returns focus', { skip }, async (t) => {
  const server = await startServer(t, { plugins: [clients(), adminUi()] });
  const browser = await launchChromium(t);
  const { page, problems } = await openPage(browser);
  await page.goto(`${server.adminUrl}/admin/ui/`);

  await tabTo(page, (f) => f.startsWith('input|'));
  await page.keyboard.type(ADMIN_KEY);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();

  // From the top of the document, the first stop is the skip control; Enter moves focus to the page.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Tab');
  assert.match(await focused(page), /^button\|\|Skip to content$/);
  await page.keyboard.press('Enter');
  assert.match(await focused(page), /^main\|/);

  // The navigation, by Tab and Enter: the Clients page opens and holds focus.
  await tabTo(page, (f) => /^a\|#\/clients\|/.test(f));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
  assert.match(page.url(), /#\/clients$/);
  assert.match(await focused(page), /^main\|/, 'focus moved to the page, not left on the link');

  // A dialog from the keyboard: focus goes into it, stays there on Tab, and returns to its opener on Escape.
  const opener = await tabTo(page, (f) => /^button\|\|(New|Create) client/.test(f));
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    // Inside means: the dialog is an ancestor of the focused element in the composed tree (slots and shadow hosts).
    // Past its last control a modal <dialog> lets focus go to the browser's own controls (document.body here) and
    // back, never to the page behind it, which is inert.
    const inside = await dialog.evaluate((d) => {
      let element: Element | null = document.activeElement;
      if (element === null || element === document.body) return true;
      while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
      let node: Node | null = element;
      while (node) {
        if (node === d) return true;
        node = (node as Element).assignedSlot ?? node.parentNode ?? (node as ShadowRoot).host ?? null;
      }
      return false;
    });
    assert.ok(inside, `Tab ${i + 1} left the dialog (${await focused(page)})`);
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await focused(page), opener, 'focus returned to the button that opened the dialog');
  assert.deepEqual(problems, []);
});
