/**
 * `npm run docs`: regenerates docs/configuration.md, docs/errors.md, docs/hooks.md and docs/metrics.md from the code
 * they describe (JSON Schemas, kernel/errors.ts, kernel/hooks.ts, the metrics registry and the built-in plugins, their errors included). `--check` writes nothing and exits 1
 * when a file is stale; test/build/docs.test.ts does the same comparison in memory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { builtinPlugins } from './docs/builtin-plugins.js';
import { renderConfiguration } from './docs/configuration.js';
import { renderErrors } from './docs/errors.js';
import { renderHooks } from './docs/hooks.js';
import { renderMetrics } from './docs/metrics.js';

export const DOCS_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Repository-relative path → generated content. */
export function generateDocs(): Record<string, string> {
  const plugins = builtinPlugins();
  return {
    'docs/configuration.md': renderConfiguration(plugins),
    'docs/errors.md': renderErrors(plugins),
    'docs/hooks.md': renderHooks(plugins),
    'docs/metrics.md': renderMetrics(plugins),
  };
}

/** The generated files whose content on disk differs from what the code generates now. */
export function staleDocs(generated = generateDocs()): string[] {
  return Object.entries(generated)
    .filter(([path, content]) => {
      try {
        return readFileSync(join(DOCS_ROOT, path), 'utf8') !== content;
      } catch {
        return true;
      }
    })
    .map(([path]) => path);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const generated = generateDocs();
  if (process.argv.includes('--check')) {
    const stale = staleDocs(generated);
    for (const path of stale) console.error(`stale: ${path} (run npm run docs)`);
    process.exit(stale.length ? 1 : 0);
  }
  for (const [path, content] of Object.entries(generated)) {
    writeFileSync(join(DOCS_ROOT, path), content);
    console.log(`wrote ${path}`);
  }
}
