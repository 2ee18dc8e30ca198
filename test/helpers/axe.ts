/**
 * axe-core (a devDependency) on a page of the admin console. The console's CSP (`script-src 'self'`) refuses an
 * inline <script>, which is what playwright's addScriptTag({ content }) adds; evaluating the source over CDP
 * (page.evaluate) is not subject to the page's CSP, so pages are checked under their real policy, without a
 * bypassCSP context.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

export async function axeViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(axeSource);
  const { passes, violations } = await page.evaluate(async () => {
    type Result = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };
    const axe = (globalThis as unknown as { axe: { run(context: Document, options: object): Promise<{ passes: Result[]; violations: Result[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return {
      passes: result.passes.map((r) => r.id),
      violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => JSON.stringify(n.target)) })),
    };
  });
  // axe reaches into the shadow roots: the rules about the console's own controls ran.
  assert.ok(passes.includes('color-contrast') || violations.some((v) => v.id === 'color-contrast'), `axe checked contrast: ${passes.join(' ')}`);
  return violations;
}

/**
 * The page's `serious` and `critical` violations, one line each, prefixed with `where`; the lesser ones go to
 * `note` (a test's diagnostic) so they are seen without failing.
 */
export async function seriousViolations(page: Page, where: string, note: (line: string) => void = () => {}): Promise<string[]> {
  const serious: string[] = [];
  for (const v of await axeViolations(page)) {
    const line = `${where}: ${v.impact} ${v.id}: ${v.help} at ${v.targets.join(', ')}`;
    if (v.impact === 'serious' || v.impact === 'critical') serious.push(line);
    else note(line);
  }
  return serious;
}
