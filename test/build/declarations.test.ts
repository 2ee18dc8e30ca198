/**
 * The published declarations (dist/**\/*.d.ts, what a plugin author's compiler reads) import only what a user's
 * `npm install authplane` brings: node's builtins, authplane itself, and packages in `dependencies` — a package's
 * types counted through its `@types/` counterpart. A type from a devDependency (koa's were, once) compiles here and
 * breaks every user's `tsc` with "cannot find module".
 *
 * The declarations are emitted as `npm run build` emits them (tsc -p tsconfig.build.json), into a directory of the
 * test's own, so the developer's dist/ is left alone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import ts from 'typescript';
import { REPO_ROOT, tempDir } from '../helpers/server.js';

const run = promisify(execFile);

function declarationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return declarationFiles(path);
    return entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module a declaration file names: import/export … from, import('…'), import '…', reference types. */
function importedModules(source: string): string[] {
  const found = ts.preProcessFile(source, true, true);
  return [...found.importedFiles, ...found.typeReferenceDirectives].map((ref) => ref.fileName);
}

/** `@koa/router/x` → `@koa/router`, `knex/types` → `knex`; relative paths are the package's own files. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** DefinitelyTyped's name for a package's types: `koa` → `@types/koa`, `@koa/router` → `@types/koa__router`. */
function typesPackageOf(name: string): string {
  return `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;
}

const NODE_BUILTINS = new Set([...builtinModules, 'node']);

/** Whether an installed package carries its own declarations (koa does not: they are @types/koa). */
function shipsTypes(name: string): boolean {
  let manifest: { types?: string; typings?: string; typesVersions?: unknown; exports?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  } catch {
    return false;
  }
  if (manifest.types || manifest.typings || manifest.typesVersions) return true;
  if (JSON.stringify(manifest.exports ?? null).includes('"types"')) return true;
  return existsSync(join(REPO_ROOT, 'node_modules', name, 'index.d.ts'));
}

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

/** What a user's install cannot resolve: `package → declaration files importing it`. */
function unresolvable(files: readonly { path: string; source: string }[], manifest: Manifest, hasTypes = shipsTypes) {
  const deps = new Set(Object.keys(manifest.dependencies ?? {}));
  const missing = new Map<string, Set<string>>();
  for (const { path, source } of files) {
    for (const specifier of importedModules(source)) {
      const name = packageOf(specifier);
      if (!name || name === manifest.name || specifier.startsWith('node:') || NODE_BUILTINS.has(name)) continue;
      if ((deps.has(name) && hasTypes(name)) || deps.has(typesPackageOf(name))) continue;
      missing.set(name, (missing.get(name) ?? new Set()).add(path));
    }
  }
  return missing;
}

test('the declaration scan sees every form of import and names each package by its install name', () => {
  const source = [
    // A triple-slash directive counts only above the first statement.
    '/// <reference types="ambient" />',
    "import type { Context } from 'koa';",
    "export { Router } from '@koa/router';",
    "export * from 'left-pad/sub/path';",
    "import 'side-effect';",
    'export declare const x: import("inline-type").X;',
    "import type { Y } from './own-file.js';",
    "import { createHash } from 'node:crypto';",
    "import type { Server } from 'http';",
    "import type { Z } from 'self-name';",
  ].join('\n');
  const typed = new Set(['left-pad']);
  const manifest = { name: 'self-name', dependencies: { 'left-pad': '1', koa: '3', '@types/koa__router': '1', 'side-effect': '1' } };
  const missing = unresolvable([{ path: 'probe.d.ts', source }], manifest, (name) => typed.has(name));
  // koa and side-effect are dependencies, but without types of their own or an @types/ package beside them.
  assert.deepEqual([...missing.keys()].sort(), ['ambient', 'inline-type', 'koa', 'side-effect']);
  const withKoaTypes = { ...manifest, dependencies: { ...manifest.dependencies, '@types/koa': '3' } };
  const remaining = unresolvable([{ path: 'probe.d.ts', source }], withKoaTypes, (name) => typed.has(name));
  assert.deepEqual([...remaining.keys()].sort(), ['ambient', 'inline-type', 'side-effect']);
});

test('the published declarations import only node builtins, authplane itself and packages in dependencies (or their @types)', async (t) => {
  const out = tempDir(t, 'authplane-declarations-');
  // The build's own compiler options, declarations only, written here instead of dist/.
  await run(
    process.execPath,
    [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--outDir', join(out, 'dist')],
    { cwd: REPO_ROOT, timeout: 300_000 },
  ).catch((err: { stdout?: string }) => assert.fail(`tsc failed:\n${err.stdout ?? String(err)}`));

  const paths = declarationFiles(join(out, 'dist'));
  assert.ok(paths.some((p) => p.endsWith(join('kernel', 'index.d.ts'))), 'the kernel entry point was emitted');
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
  const missing = unresolvable(
    paths.map((path) => ({ path: relative(join(out, 'dist'), path), source: readFileSync(path, 'utf8') })),
    manifest,
  );
  const report = [...missing].map(([name, files]) => {
    const some = [...files].slice(0, 3);
    return `${name} (imported by ${some.join(', ')}${files.size > some.length ? ', …' : ''})`;
  });
  assert.deepEqual(report, [], 'packages the declarations import that are not in dependencies');
  // The route contract is koa's Context: its types must arrive with authplane.
  assert.ok(paths.some((p) => /from ['"]koa['"]/.test(readFileSync(p, 'utf8'))), 'the declarations use koa types');
});
