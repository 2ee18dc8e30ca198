import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { BOOT_ERROR_CODES } from 'authplane';
import * as barrel from 'authplane/plugins';
import { envName } from '../../kernel/config/env.js';
import { generateDocs, staleDocs } from '../../scripts/generate-docs.js';
import { REPO_ROOT } from '../helpers/server.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every AP_ERR_* string in kernel/, except the list that defines them, by file. Plugins' codes are their own,
 * declared with defineErrors and checked by test/kernel/plugin-errors.test.ts.
 */
function codesInUse(): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const definitions = join(REPO_ROOT, 'kernel/errors.ts');
  for (const file of sourceFiles(join(REPO_ROOT, 'kernel'))) {
    if (file === definitions) continue;
    for (const [code] of readFileSync(file, 'utf8').matchAll(/AP_ERR_[A-Z0-9_]+/g)) {
      uses.set(code, [...(uses.get(code) ?? []), relative(REPO_ROOT, file)]);
    }
  }
  return uses;
}

test('docs/configuration.md, docs/errors.md, docs/hooks.md and docs/metrics.md are what npm run docs generates now', () => {
  const stale = staleDocs();
  assert.deepEqual(stale, [], `stale generated docs: ${stale.join(', ')} — run npm run docs`);
});

test('every AP_ERR_ code used in kernel/ is documented in BOOT_ERROR_CODES', () => {
  const undocumented = [...codesInUse()]
    .filter(([code]) => !(code in BOOT_ERROR_CODES))
    .map(([code, files]) => `${code} (${files.join(', ')})`);
  assert.deepEqual(undocumented, [], 'add these codes with their meaning to BOOT_ERROR_CODES in kernel/errors.ts');
});

test('every documented AP_ERR_ code is used somewhere in kernel/, none only by a plugin', () => {
  const used = codesInUse();
  const stale = Object.keys(BOOT_ERROR_CODES).filter((code) => !used.has(code));
  assert.deepEqual(stale, [], 'remove these unused codes from BOOT_ERROR_CODES');
});

test('the configuration doc has a section for every plugin the plugins barrel exports', () => {
  const doc = generateDocs()['docs/configuration.md']!;
  const factories = Object.values(barrel).filter(
    (v): v is typeof v & { definition: { name: string } } => typeof v === 'function' && 'definition' in v,
  );
  assert.ok(factories.length >= 5);
  for (const factory of factories) {
    assert.match(doc, new RegExp(`^### \`${factory.definition.name}\`$`, 'm'), `no section for ${factory.definition.name}`);
  }
});

test('each option row names its AUTHPLANE_ variable, default and whether it is a secret', () => {
  const doc = generateDocs()['docs/configuration.md']!;
  const rowOf = (path: string) => doc.split('\n').find((line) => line.startsWith(`| \`${path}\` |`));
  assert.equal(envName(['signing', 'retiredKeyRetention']), 'AUTHPLANE_SIGNING_RETIRED_KEY_RETENTION');
  assert.match(rowOf('signing.retiredKeyRetention') ?? '', /\| `86400` \| `AUTHPLANE_SIGNING_RETIRED_KEY_RETENTION` \|/);
  assert.match(rowOf('admin.apiKey') ?? '', /`AUTHPLANE_ADMIN_API_KEY` \(secret: env only\)/);
  assert.match(rowOf('storage.postgres.dsn') ?? '', /`AUTHPLANE_STORAGE_POSTGRES_DSN` \(secret: env only\)/);
  assert.match(rowOf('auditDb.retentionDays') ?? '', /`AUTHPLANE_AUDIT_DB_RETENTION_DAYS`/);
  assert.doesNotMatch(rowOf('server.issuer') ?? '', /secret/);
});

test('the errors doc lists every boot code, every plugin code under its plugin and every OAuth error with its HTTP status', () => {
  const doc = generateDocs()['docs/errors.md']!;
  for (const code of Object.keys(BOOT_ERROR_CODES)) assert.ok(doc.includes(`| \`${code}\` |`), code);
  assert.match(doc, /^### `storage-sqlite`\n\n\| Code \| Meaning \|\n\|---\|---\|\n\| `AP_ERR_STORAGE_SQLITE_PATH` \|/m);
  assert.match(doc, /\| `invalid_client` \| 401 \| `InvalidClient` \| `WWW-Authenticate` \|/);
  assert.match(doc, /\| `slow_down` \| 429 \|/);
  assert.match(doc, /\| `temporarily_unavailable` \| 503 \|/);
});

test('the hooks doc lists every hook of the catalog and who taps or registers it', () => {
  const doc = generateDocs()['docs/hooks.md']!;
  for (const hook of ['httpMiddleware', 'discoveryMetadata', 'resolveClient', 'accessTokenClaims', 'auditSinks']) {
    assert.match(doc, new RegExp(`^\\| \`${hook}\` \\|`, 'm'), hook);
  }
  assert.match(doc, /^\| `auditSinks` \|.*audit-db.*\|$/m);
  assert.match(doc, /`sqlite` \(storage-sqlite\)/);
  assert.match(doc, /`admin key rotate` \(kernel\)/);
  assert.match(doc, /\| public \| GET \| `\/\.well-known\/jwks\.json` \| kernel \|/);
});
