/**
 * A real browser for the admin console tests: Debian's chromium (`apt-get install chromium`) driven by
 * playwright-core, headless, without a sandbox (containers) or background networking (no requests of its own).
 * Every page's console errors and CSP violations are collected, so a test can assert there were none.
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.AUTHPLANE_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined. Under CI=true they must run, so the caller fails instead of skipping. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `no chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set AUTHPLANE_CHROMIUM)`;
}

export async function launchChromium(t: Pick<TestContext, 'after'>): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
    timeout: 120_000,
  });
  t.after(() => browser.close());
  return browser;
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors (CSP violations are reported as console errors), in order. */
  problems: string[];
}

export async function openPage(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ colorScheme: options.colorScheme ?? 'light', viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, context, problems };
}

/** Opens the console at `adminUrl` and signs in with the admin API key; resolves on the Overview. */
export async function signInWithKey(page: Page, adminUrl: string, key: string): Promise<void> {
  await page.goto(`${adminUrl}/admin/ui/`);
  await page.getByLabel('Admin API key').fill(key);
  await page.getByRole('button', { name: 'Sign in with the API key' }).click();
  await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
}
