/**
 * Plugins own their error codes: each declares `AP_ERR_<PLUGIN>_<WHAT>` with `defineErrors`, docs/errors.md lists
 * them under the plugin, and no plugin throws a kernel code (or a code it did not declare) for a failure of its own.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { AuthPlane, BootError, BOOT_ERROR_CODES, defineErrors, definePlugin, PluginError, runCli } from 'authplane';
import { defaultPlugins } from '../../plugins/preset-default.js';
import { builtinPlugins } from '../../scripts/docs/builtin-plugins.js';
import { generateDocs } from '../../scripts/generate-docs.js';
import { basePlugins, REPO_ROOT, tempDir } from '../helpers/server.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const declaredBy = new Map(builtinPlugins().map((p) => [p.definition.name, Object.keys(p.definition.errors?.codes ?? {})]));

test('every plugin folder holds the built-in plugin of its name, so its sources are checked against its declaration', () => {
  const folders = readdirSync(join(REPO_ROOT, 'plugins')).filter((name) => statSync(join(REPO_ROOT, 'plugins', name)).isDirectory());
  assert.ok(folders.length >= 10);
  for (const folder of folders) assert.ok(declaredBy.has(folder), `plugins/${folder} defines no built-in plugin named '${folder}'`);
});

test('a plugin names no AP_ERR_ code in its sources but its own declared ones, and never a kernel code', () => {
  const misused: string[] = [];
  for (const [plugin, declared] of declaredBy) {
    for (const file of sourceFiles(join(REPO_ROOT, 'plugins', plugin))) {
      for (const [code] of readFileSync(file, 'utf8').matchAll(/AP_ERR_[A-Z0-9_]*[A-Z0-9]/g)) {
        const whose = code in BOOT_ERROR_CODES ? 'a kernel code' : 'not declared by the plugin';
        if (!declared.includes(code)) misused.push(`${code} in ${relative(REPO_ROOT, file)}: ${whose}`);
      }
    }
  }
  assert.deepEqual(misused, [], 'declare the plugin\'s own code with defineErrors and throw it through its constructor');
});

test('a plugin constructs no BootError itself: its failures go through the constructors of its declaration', () => {
  const direct = sourceFiles(join(REPO_ROOT, 'plugins'))
    .filter((file) => /new BootError\(/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(REPO_ROOT, file));
  assert.deepEqual(direct, []);
});

test('the built-in plugins declare their codes under their own prefix, and docs/errors.md lists each under its plugin', () => {
  const doc = generateDocs()['docs/errors.md']!;
  const withCodes = builtinPlugins().filter((p) => Object.keys(p.definition.errors?.codes ?? {}).length);
  assert.deepEqual(
    withCodes.map((p) => p.definition.name),
    ['audit-webhook', 'broker', 'cimd', 'clients', 'dcr', 'dpop', 'fronting', 'keystore-keyfile', 'keystore-postgres', 'keystore-vault', 'oauth', 'oidc-federation', 'resources', 'storage-postgres', 'storage-sqlite', 'token-exchange', 'trusted-issuers', 'users'],
  );
  for (const { definition } of withCodes) {
    const prefix = `AP_ERR_${definition.name.replace(/-/g, '_').toUpperCase()}_`;
    const section = doc.split(`### \`${definition.name}\`\n`)[1]?.split('\n\n#')[0] ?? '';
    assert.ok(section, `docs/errors.md has a section for ${definition.name}`);
    for (const [code, meaning] of Object.entries(definition.errors!.codes)) {
      assert.ok(code.startsWith(prefix), `${code} starts with ${prefix}`);
      assert.ok(!(code in BOOT_ERROR_CODES), `${code} is not a kernel code`);
      assert.ok(section.includes(`| \`${code}\` |`), `${code} is listed under ${definition.name}`);
      assert.ok(meaning.length > 20, `${code} says what went wrong`);
    }
  }
  assert.match(doc, /\| `AP_ERR_STORAGE_POSTGRES_DSN_INVALID` \|/);
});

test('defineErrors prefixes each code with the plugin name in upper snake case and builds PluginErrors naming the plugin', () => {
  const errors = defineErrors('magic-link', { TOKEN_SECRET: 'The magic link secret is missing.' });
  assert.deepEqual(errors.codes, { AP_ERR_MAGIC_LINK_TOKEN_SECRET: 'The magic link secret is missing.' });
  const cause = new Error('underlying');
  const err = errors.TOKEN_SECRET('set MAGIC_LINK_SECRET', { cause });
  assert.ok(err instanceof PluginError && err instanceof BootError);
  assert.equal(err.code, 'AP_ERR_MAGIC_LINK_TOKEN_SECRET');
  assert.equal(err.plugin, 'magic-link');
  assert.equal(err.message, 'set MAGIC_LINK_SECRET');
  assert.equal(err.cause, cause);
});

test('defineErrors refuses a kernel code, a name that is not UPPER_SNAKE_CASE and a code without a meaning', () => {
  assert.throws(() => defineErrors('config', { INVALID: 'Shadows the kernel.' }), /AP_ERR_CONFIG_INVALID is a kernel code/);
  assert.throws(() => defineErrors('magic-link', { 'bad-name': 'x' } as Record<string, string>), /'bad-name' must be UPPER_SNAKE_CASE/);
  assert.throws(() => defineErrors('magic-link', { EMPTY: ' ' }), /EMPTY needs a meaning/);
  assert.throws(() => defineErrors('Magic Link', { X: 'x' }), /must be kebab-case/);
});

test('definePlugin refuses an errors declaration made for another plugin', () => {
  const theirs = defineErrors('other-plugin', { BROKEN: 'Something of the other plugin broke.' });
  assert.throws(
    () => definePlugin({ name: 'magic-link', errors: theirs, register() {} }),
    /plugin 'magic-link' declares errors of 'other-plugin'.*must start with AP_ERR_MAGIC_LINK_/,
  );
});

test('a declared error thrown in register stops boot with the plugin\'s own code, not AP_ERR_PLUGIN_PHASE', (t) => {
  const errors = defineErrors('magic-link', { SECRET_MISSING: 'The magic link plugin needs a secret.' });
  const magicLink = definePlugin({
    name: 'magic-link',
    errors,
    register() {
      throw errors.SECRET_MISSING('magicLink needs MAGIC_LINK_SECRET');
    },
  });
  const dir = tempDir(t);
  assert.throws(
    () =>
      new AuthPlane(
        { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') }, plugins: [...basePlugins(), magicLink()] },
        { env: {}, logLevel: 'silent' },
      ),
    (err: PluginError) => {
      assert.equal(err.code, 'AP_ERR_MAGIC_LINK_SECRET_MISSING');
      assert.equal(err.plugin, 'magic-link');
      assert.equal(err.message, 'magicLink needs MAGIC_LINK_SECRET');
      return true;
    },
  );
});

test('a built-in plugin\'s own failure carries its code: storage-postgres refuses a DSN that is not a URL with AP_ERR_STORAGE_POSTGRES_DSN_INVALID', async (t) => {
  const dir = tempDir(t);
  const server = new AuthPlane(
    { storage: { driver: 'postgres' }, signing: { keyPath: join(dir, 'keys') }, plugins: basePlugins() },
    { env: { AUTHPLANE_STORAGE_POSTGRES_DSN: 'not a url' }, logLevel: 'silent' },
  );
  t.after(() => server.stop());
  await assert.rejects(server.boot(), (err: PluginError) => {
    assert.equal(err.code, 'AP_ERR_STORAGE_POSTGRES_DSN_INVALID');
    assert.equal(err.plugin, 'storage-postgres');
    assert.doesNotMatch(err.message, /not a url/, 'the DSN is never repeated');
    return true;
  });
});

test('a plugin CLI command\'s own refusal prints its message once and exits 1, like a kernel error', async (t) => {
  const dir = tempDir(t);
  const config = join(dir, 'authplane.config.json');
  writeFileSync(config, '{}');
  const lines: string[] = [];
  const code = await runCli(['admin', 'client', 'create', '--name', 'Agent', '--agent', '--no-agent', '--config', config], {
    env: { HOME: dir, AUTHPLANE_STORAGE_SQLITE_PATH: join(dir, 'auth.db'), AUTHPLANE_SIGNING_KEY_PATH: join(dir, 'keys') },
    defaultPlugins,
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
  });
  assert.equal(code, 1);
  assert.deepEqual(lines, ['error: --agent and --no-agent contradict each other']);
});
