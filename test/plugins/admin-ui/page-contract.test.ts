/**
 * The console's layout rules (issue 26 item 4), read from the sources: one Lit element per folder of the shell,
 * named after it; a plugin's page lives in that plugin's `admin-ui/` folder, defines the element its file is named
 * after (the one its `adminPages` registration names), and imports lit, libraries and the shell's public module
 * `authplane/admin-ui` — never the shell's internals, another plugin or the server.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../helpers/server.js';

/** Every module specifier a file imports (static, side-effect and dynamic imports). */
function imports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    found.push((match[1] ?? match[2] ?? match[3])!);
  }
  return found;
}

const defined = (source: string) => [...source.matchAll(/\bdefine\(\s*'([a-z0-9-]+)'/g)].map((m) => m[1]!);

test('the shell: one element per component folder, ap-<folder>, defined in <folder>/<folder>.ts', () => {
  const components = join(REPO_ROOT, 'admin-ui/src/components');
  const folders = readdirSync(components);
  assert.ok(folders.length >= 8, folders.join(', '));
  for (const folder of folders) {
    assert.match(folder, /^ap-[a-z0-9-]+$/);
    const files = readdirSync(join(components, folder)).filter((f) => f.endsWith('.ts'));
    assert.deepEqual(files, [`${folder}.ts`], `${folder} holds one module`);
    assert.deepEqual(defined(readFileSync(join(components, folder, `${folder}.ts`), 'utf8')), [folder], `${folder}.ts defines ${folder} and nothing else`);
  }
});

test("plugin pages: in the plugin's admin-ui folder, one element named after the file and registered as such, importing only lit, libraries and authplane/admin-ui", () => {
  const plugins = join(REPO_ROOT, 'plugins');
  let pages = 0;
  for (const plugin of readdirSync(plugins)) {
    const folder = join(plugins, plugin, 'admin-ui');
    if (!existsSync(folder)) continue;
    const index = readFileSync(join(plugins, plugin, 'index.ts'), 'utf8');
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(folder, file), 'utf8');
      const where = `plugins/${plugin}/admin-ui/${file}`;
      const elements = defined(source);
      if (elements.length > 0) {
        pages++;
        assert.deepEqual(elements, [file.replace(/\.ts$/, '')], `${where} defines the element it is named after`);
        // Its registration names this module and this element.
        const registration = new RegExp(`module: new URL\\('\\./admin-ui/${file.replace('.', '\\.')}', import\\.meta\\.url\\)\\.href,\\s*element: '${elements[0]}'`);
        assert.match(index, registration, `plugins/${plugin}/index.ts registers ${where} as ${elements[0]}`);
      }
      for (const specifier of imports(source)) {
        const allowed =
          specifier === 'lit' ||
          specifier.startsWith('lit/') ||
          specifier === 'authplane/admin-ui' ||
          (specifier.startsWith('./') && !specifier.includes('..')) ||
          (!specifier.startsWith('.') && !specifier.startsWith('/') && specifier !== 'authplane' && !specifier.startsWith('authplane/') && !specifier.startsWith('node:'));
        assert.ok(allowed, `${where} imports ${specifier}: a page may import lit, libraries, its own folder and authplane/admin-ui only`);
      }
    }
  }
  assert.ok(pages >= 14, `every built-in page was checked (${pages})`);
});
