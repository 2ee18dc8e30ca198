/**
 * The documentation as a reader of the repository meets it: every docs/*.md is reachable from the README, and no
 * document points at a file that is not in the repository (a sibling checkout, a working copy's notes).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/server.js';

const DOCS = readdirSync(join(REPO_ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const DOCUMENTS = ['README.md', 'sdk/README.md', ...DOCS];

/** Targets of Markdown links and images that are files, not URLs or anchors in the same page. */
function linkTargets(text: string): string[] {
  return [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** Relative paths climbing out of the document's folder, linked or not (`` `../shared/design.md` ``). */
function parentPaths(text: string): string[] {
  return [...text.matchAll(/(?:^|[\s`'"(<[])((?:\.\.\/)+[\w@.-][\w@./-]*)/g)].map((m) => m[1]!);
}

function problems(document: string): string[] {
  const text = readFileSync(join(REPO_ROOT, document), 'utf8');
  const found: string[] = [];
  for (const target of new Set([...linkTargets(text), ...parentPaths(text)])) {
    const path = resolve(dirname(join(REPO_ROOT, document)), decodeURIComponent(target));
    const inside = path === REPO_ROOT || path.startsWith(REPO_ROOT + sep);
    if (!inside) found.push(`${document}: ${target} is outside the repository`);
    else if (!existsSync(path)) found.push(`${document}: ${target} (${relative(REPO_ROOT, path)}) does not exist in the repository`);
  }
  return found;
}

test('every docs/*.md file is linked from the README', () => {
  const linked = new Set(linkTargets(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).map((t) => t.replace(/^\.\//, '')));
  assert.ok(DOCS.length >= 5, 'docs/ holds the documentation');
  assert.deepEqual(
    DOCS.filter((doc) => !linked.has(doc)),
    [],
    'add these to the Documentation list of README.md',
  );
});

test('no document links or names a path outside the repository, and every relative link reaches a file in it', () => {
  assert.deepEqual(DOCUMENTS.flatMap(problems), []);
});

test('the link check sees links and mentions that leave the repository or lead nowhere', () => {
  const text = 'See `../shared/design.md`, [the design](../../design.md), [ok](../README.md), [web](https://x.test/a), [anchor](#top).';
  assert.deepEqual(linkTargets(text), ['../../design.md', '../README.md']);
  assert.deepEqual(parentPaths(text), ['../shared/design.md', '../../design.md', '../README.md']);
});
