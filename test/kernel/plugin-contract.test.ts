import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { AuthPlane, BootError, BOOT_ERROR_CODES, definePlugin, type PluginInstance, type RegisterApi } from 'authplane';
import { basePlugins, REPO_ROOT, startServer, tempDir } from '../helpers/server.js';

function construct(dir: string, plugins: PluginInstance[]): AuthPlane {
  return new AuthPlane(
    { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') }, plugins: [...basePlugins(), ...plugins] },
    { env: {}, logLevel: 'silent' },
  );
}

function bootError(fn: () => unknown): BootError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BootError, `a BootError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected boot to be refused');
}

const needy = definePlugin({ name: 'needy-plugin', dependsOn: ['missing-plugin'], register() {} });

test('a plugin whose dependency is not enabled stops boot with AP_ERR_PLUGIN_DEPENDENCY naming both', (t) => {
  const err = bootError(() => construct(tempDir(t), [needy()]));
  assert.equal(err.code, 'AP_ERR_PLUGIN_DEPENDENCY');
  assert.match(err.message, /'needy-plugin'/);
  assert.match(err.message, /'missing-plugin'/);
});

test('plugins depending on each other in a cycle are refused with the cycle named', (t) => {
  const a = definePlugin({ name: 'cycle-a', dependsOn: ['cycle-b'], register() {} });
  const b = definePlugin({ name: 'cycle-b', dependsOn: ['cycle-a'], register() {} });
  const err = bootError(() => construct(tempDir(t), [a(), b()]));
  assert.equal(err.code, 'AP_ERR_PLUGIN_DEPENDENCY');
  assert.match(err.message, /cycle-a → cycle-b → cycle-a/);
});

test('dependsOn decides the order plugins register in, whatever the config order', async (t) => {
  const order: string[] = [];
  const later = definePlugin({ name: 'registers-later', dependsOn: ['registers-first'], register: () => void order.push('later') });
  const first = definePlugin({ name: 'registers-first', register: () => void order.push('first') });
  construct(tempDir(t), [later(), first()]);
  assert.deepEqual(order, ['first', 'later']);
});

test('two plugins registering the same name stop boot with AP_ERR_REGISTRY_DUPLICATE naming both plugins', (t) => {
  const purger = (name: string) =>
    definePlugin({
      name,
      register(api) {
        api.registries.purgeTargets.register('shared_rows', { description: name, purge: async () => 0 });
      },
    });
  const err = bootError(() => construct(tempDir(t), [purger('first-purger')(), purger('second-purger')()]));
  assert.equal(err.code, 'AP_ERR_REGISTRY_DUPLICATE');
  assert.equal(err.message, "purge target 'shared_rows' registered by 'first-purger' and 'second-purger'");

  const route = (name: string) =>
    definePlugin({ name, register: (api) => api.route('public', 'GET', '/same', () => {}) });
  const routeErr = bootError(() => construct(tempDir(t), [route('route-one')(), route('route-two')()]));
  assert.equal(routeErr.code, 'AP_ERR_REGISTRY_DUPLICATE');
  assert.match(routeErr.message, /'route-one' and 'route-two'/);

  const kernelRoute = definePlugin({ name: 'shadows-health', register: (api) => api.route('public', 'GET', '/health', () => {}) });
  const shadow = bootError(() => construct(tempDir(t), [kernelRoute()]));
  assert.equal(shadow.code, 'AP_ERR_REGISTRY_DUPLICATE', 'a plugin cannot take over a kernel route');
  assert.match(shadow.message, /'shadows-health'/);
  assert.match(shadow.message, /'kernel'/);

  const keyStore = definePlugin({ name: 'second-keyfile', register: (api) => api.registries.keyStores.register('keyfile', () => ({}) as never) });
  assert.match(bootError(() => construct(tempDir(t), [keyStore()])).message, /'keystore-keyfile' and 'second-keyfile'/);
});

test('a service used without dependsOn on its provider is refused with AP_ERR_SERVICE_MISSING', (t) => {
  const provider = definePlugin({ name: 'provider-plugin', register: (api) => api.provide('clients' as never, {} as never) });
  const user = definePlugin({ name: 'user-plugin', register: (api) => void api.use('clients' as never) });
  const err = bootError(() => construct(tempDir(t), [provider(), user()]));
  assert.equal(err.code, 'AP_ERR_SERVICE_MISSING');
  assert.match(err.message, /'user-plugin'.*'provider-plugin'/);
});

test('hooks and registries are frozen once register is over', async (t) => {
  let lateApi: RegisterApi | undefined;
  const late = definePlugin({
    name: 'late-tapper',
    register(api) {
      lateApi = api;
    },
  });
  await startServer(t, { plugins: [late()] });
  const tap = bootError(() => lateApi!.hooks.discoveryMetadata.tap('late-tapper', (d) => d));
  assert.equal(tap.code, 'AP_ERR_HOOKS_FROZEN');
  assert.match(tap.message, /'late-tapper' tapped discoveryMetadata after register/);
  const register = bootError(() => lateApi!.registries.purgeTargets.register('late', { description: '', purge: async () => 0 }));
  assert.equal(register.code, 'AP_ERR_REGISTRY_FROZEN');
  const route = bootError(() => lateApi!.route('public', 'GET', '/late', () => {}));
  assert.equal(route.code, 'AP_ERR_REGISTRY_FROZEN');
  const cors = bootError(() => lateApi!.corsHeaders({ allow: ['X-Late'] }));
  assert.equal(cors.code, 'AP_ERR_REGISTRY_FROZEN');
  assert.match(cors.message, /CORS headers added by 'late-tapper' after boot/);
});

test('a CORS header that is not a header name stops boot, naming the plugin and the value', (t) => {
  const bad = definePlugin({ name: 'bad-cors', register: (api) => api.corsHeaders({ expose: ['X-Fine', 'Bad Header'] }) });
  const err = bootError(() => construct(tempDir(t), [bad()]));
  assert.equal(err.code, 'AP_ERR_CORS_HEADER');
  assert.match(err.message, /'bad-cors' asked CORS to expose "Bad Header"/);
});

test('a plugin failing in init stops boot with AP_ERR_PLUGIN_PHASE naming the plugin', async (t) => {
  const failing = definePlugin({
    name: 'init-fails',
    register: () => ({
      async init() {
        throw new Error('cannot reach the upstream');
      },
    }),
  });
  const server = construct(tempDir(t), [failing()]);
  t.after(() => server.stop());
  await assert.rejects(server.boot(), (err: BootError) => {
    assert.equal(err.code, 'AP_ERR_PLUGIN_PHASE');
    assert.equal(err.message, "plugin 'init-fails' failed in init: cannot reach the upstream");
    return true;
  });
});

test('every AP_ERR_* code thrown by the kernel and plugins is documented in BOOT_ERROR_CODES', () => {
  const thrown = new Set<string>();
  for (const file of [...tsFiles(join(REPO_ROOT, 'kernel')), ...tsFiles(join(REPO_ROOT, 'plugins'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(/'(AP_ERR_[A-Z_]+)'/g)) thrown.add(match[1]!);
  }
  assert.ok(thrown.size >= 5, 'the scan found the codes');
  for (const code of thrown) assert.ok(code in BOOT_ERROR_CODES, `${code} is documented`);
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

test('the kernel never imports from plugins/ (walking every import of kernel/**/*.ts)', () => {
  const kernelDir = join(REPO_ROOT, 'kernel');
  const pluginsDir = join(REPO_ROOT, 'plugins');
  const files = tsFiles(kernelDir);
  assert.ok(files.length > 20, 'the walk found the kernel');
  let relativeImports = 0;
  const offenders: string[] = [];
  for (const file of files) {
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        relativeImports++;
        const target = resolve(dirname(file), specifier);
        // The kernel's own migrations live with everyone's, under migrations/kernel/; nothing else outside kernel/.
        const allowed = [kernelDir, join(REPO_ROOT, 'migrations/kernel')].some((root) => target.startsWith(root + '/'));
        if (target.startsWith(pluginsDir + '/')) offenders.push(`${relative(REPO_ROOT, file)} → ${specifier}`);
        else if (!allowed) offenders.push(`${relative(REPO_ROOT, file)} → ${specifier} (outside kernel/)`);
      } else if (specifier === 'authplane' || specifier.startsWith('authplane/')) {
        offenders.push(`${relative(REPO_ROOT, file)} → ${specifier} (the kernel is 'authplane')`);
      }
    }
  }
  assert.ok(relativeImports > 50, 'the walk parsed the imports');
  assert.deepEqual(offenders, []);
});

test('the import walk itself catches an import of plugins/', () => {
  const sample = [
    "import { auditDb } from '../plugins/audit-db/index.js';",
    "export { x } from '../../plugins/a.js';",
    "const m = await import('../plugins/b.js');",
    "import type { Y } from 'authplane/plugins';",
  ].join('\n');
  assert.deepEqual(importsOf(sample), ['../plugins/audit-db/index.js', "../../plugins/a.js", 'authplane/plugins', '../plugins/b.js']);
});
