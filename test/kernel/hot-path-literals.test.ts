/**
 * House rule for the modules every token request, introspection, DPoP proof, exchange, audit sink and SDK
 * verification runs through: no object literal that opens with a spread and has members after it
 * (`{ ...a, b }`, `{ ...a, ...b }`). On Node 20's V8 each such object gets a hidden class of its own; under load
 * that made a new map per request, promoted the objects into the old generation and brought major collections
 * under token load (docs/performance.md, "A hidden class per object"). Write the
 * members out, open with a member (`{ a, ...b }` is fine), or use `Object.assign({}, a, { b })`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '../..');

/** Whole directories (their .ts files, not admin-ui) and single files on the request paths. */
const HOT = [
  'kernel/token/',
  'kernel/fast-path/',
  'kernel/http/',
  'kernel/errors.ts',
  'kernel/keys/keyring.ts',
  'kernel/observe/audit.ts',
  'kernel/observe/logger.ts',
  'kernel/observe/request-metrics.ts',
  'kernel/observe/request-scope.ts',
  'kernel/storage/group-commit.ts',
  'plugins/client-credentials/',
  'plugins/dpop/',
  'plugins/introspection/',
  'plugins/private-key-jwt/',
  'plugins/rate-limit/',
  'plugins/revocation/',
  'plugins/token-exchange/',
  'plugins/jwt-bearer/grant.ts',
  'plugins/clients/agent-claims.ts',
  'plugins/audit-db/stream.ts',
  'plugins/audit-db/write.ts',
  'plugins/audit-log/index.ts',
  'plugins/audit-webhook/delivery.ts',
  'plugins/oauth/authorize.ts',
  'plugins/oauth/interactions.ts',
  'plugins/oauth/session.ts',
  'plugins/oauth/grant-code.ts',
  'plugins/oauth/grant-refresh.ts',
  'plugins/oauth/refresh-tokens.ts',
  'sdk/src/verifier.ts',
  'sdk/src/protected-resource.ts',
];

function files(): string[] {
  return HOT.flatMap((entry) =>
    entry.endsWith('/')
      ? readdirSync(join(ROOT, entry))
          .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
          .map((name) => `${entry}${name}`)
      : [entry],
  );
}

/** `file:line: text` for each literal that opens with a spread and has a member after it. */
function spreadThenMembers(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node) && node.properties.length > 1 && ts.isSpreadAssignment(node.properties[0]!)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
      found.push(`${file}:${line + 1}: ${node.getText(source).replace(/\s+/g, ' ').slice(0, 100)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('the finder tells the literals V8 gives a hidden class each from those it does not', () => {
  const found = spreadThenMembers(
    'sample.ts',
    [
      'const a = { ...x, b: 1 };', // flagged
      'const c = { ...x, ...y };', // flagged
      'const d = { b: 1, ...x };',
      'const e = { ...x };',
      'const f = Object.assign({}, x, { b: 1 });',
      'const g = { b: { ...x, c: 2 } };', // flagged (nested)
    ].join('\n'),
  );
  assert.deepEqual(
    found.map((f) => f.split(':')[1]),
    ['1', '2', '6'],
  );
});

test('no literal on the request paths opens with a spread and has members after it', () => {
  const all = files();
  assert.ok(all.length >= 60, `expected the listed request-path modules, found ${all.length}`);
  const found = all.flatMap((file) => spreadThenMembers(file, readFileSync(join(ROOT, file), 'utf8')));
  assert.deepEqual(found, [], `write these members out or use Object.assign({}, a, { … }):\n${found.join('\n')}`);
});
