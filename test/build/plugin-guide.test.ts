/**
 * docs/plugins.md shows the example plugin's grant rather than a sketch of one: the block must stay the code that
 * examples/plugin-custom-grant compiles and tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/server.js';

test('the grant in docs/plugins.md is, line for line, the grant of examples/plugin-custom-grant', () => {
  const guide = readFileSync(join(REPO_ROOT, 'docs/plugins.md'), 'utf8');
  const source = readFileSync(join(REPO_ROOT, 'examples/plugin-custom-grant/src/api-key-grant.ts'), 'utf8');
  const block = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('defineGrant('));
  assert.ok(block, 'docs/plugins.md shows a defineGrant block');
  // The guide shows the block dedented; the lines, in order, are the source's.
  const lines = (text: string) => text.split('\n').map((line) => line.trim()).join('\n');
  assert.ok(lines(source).includes(lines(block)), `docs/plugins.md's grant is not in the example's source:\n${block}`);
});
