/**
 * What the Dockerfile runs, without Docker (no engine runs in CI): the build context is what .dockerignore leaves,
 * the build stage's COPY and RUN steps run as the Dockerfile lists them (test/build/dockerfile.ts says what it
 * replaces), the runtime directory gets what the runtime stage copies, and the compiled CLI runs there with the
 * ENTRYPOINT's node flags — no TypeScript loader for the CLI itself, while a user's authplane.config.ts still loads
 * (and imports 'authplane' from dist through the package's exports).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ADMIN_KEY, REPO_ROOT, spawnServe, tempDir } from '../helpers/server.js';
import { buildCommandRunner, parseDockerfile, runStage, type StageRun } from './dockerfile.js';
import { contextFiles, copyContext, isIgnored, parseDockerignore } from './dockerignore.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

const stages = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const instruction = (keyword: string) => stages.at(-1)!.instructions.find((i) => i.keyword === keyword)?.args;
/** The image's command line: ENTRYPOINT then CMD, with this machine's node. */
const ENTRYPOINT = (JSON.parse(instruction('ENTRYPOINT')!) as string[]).map((w, i) => (i === 0 && w === 'node' ? process.execPath : w));
const CMD = JSON.parse(instruction('CMD')!) as string[];

/** A user's config: TypeScript syntax, the published entry points, and a plugin of its own. */
const USER_CONFIG = `
import { defineConfig, definePlugin, InvalidRequest } from 'authplane';
import { adminUi, auditDb, keystoreKeyfile, storageSqlite } from 'authplane/plugins';

interface Probe { kernel_module: string }
const probe: Probe = { kernel_module: import.meta.resolve('authplane') };

const buildProbe = definePlugin({
  name: 'build-probe',
  register(api) {
    api.hooks.discoveryMetadata.tap(api.name, (doc) => ({ ...doc, ...probe }));
    api.route('public', 'GET', '/oauth/build-probe', () => {
      throw new InvalidRequest('refused by a plugin from the config file');
    });
  },
});

export default defineConfig({
  storage: { sqlite: { path: 'data/authserver.db' } },
  signing: { keyPath: 'data/keys' },
  plugins: [storageSqlite(), keystoreKeyfile(), auditDb(), adminUi(), buildProbe()],
});
`;

const root = mkdtempSync(join(tmpdir(), 'authplane-build-'));
/** The runtime stage's WORKDIR: package.json, dist/, the pruned node_modules and the console's sources, as in the image. */
let app: string;
const buildLog: string[] = [];
after(() => rmSync(root, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

before(async () => {
  const context = join(root, 'context');
  copyContext(REPO_ROOT, context);
  const done: Record<string, StageRun> = {};
  for (const [i, stage] of stages.entries()) {
    const last = i === stages.length - 1;
    // The runtime stage's RUN steps create the data volume's folder and hand it to the `node` user: image setup only.
    const run = await runStage(stage, { context, root: join(root, `stage-${i}`), stages: done, runCommand: last ? undefined : buildCommandRunner(REPO_ROOT, buildLog) });
    if (stage.name) done[stage.name] = run;
    if (last) app = join(run.root, run.workdir);
  }
}, { timeout: 600_000 });

test('the docker build context is what .dockerignore leaves: the sources the build needs, no local state', () => {
  const kept = new Set(contextFiles(REPO_ROOT));
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.build.json', 'bin/authserver.ts', 'kernel/index.ts', 'testing/index.ts', 'scripts/bundle.mjs', 'admin-ui/src/app/main.ts']) {
    assert.ok(kept.has(file), `${file} is in the build context`);
  }
  for (const prefix of ['node_modules/', 'dist/', 'data/', '.git/', 'test/', 'sdk/']) {
    assert.deepEqual([...kept].filter((f) => f.startsWith(prefix)), [], `${prefix} stays out of the build context`);
  }
  const rules = parseDockerignore('*\n!kernel\n# comment\n**/*.md\n!docs/keep.md\n');
  assert.equal(isIgnored(rules, 'kernel/http/app.ts'), false);
  assert.equal(isIgnored(rules, 'kernel/README.md'), true);
  assert.equal(isIgnored(rules, 'docs/keep.md'), false);
  assert.equal(isIgnored(rules, 'docs/other.md'), true);
  assert.equal(isIgnored(rules, 'scripts/bundle.mjs'), true);
});

test('the build stage runs every RUN step of the Dockerfile, npm ci without compiling better-sqlite3 again', () => {
  const runs = buildLog.filter((l) => l.startsWith('run: '));
  assert.ok(runs.some((l) => /^run: npm ci\b/.test(l)), buildLog.join('\n'));
  assert.ok(runs.some((l) => l === 'run: npm run build'), buildLog.join('\n'));
  assert.ok(runs.some((l) => /^run: npm prune --omit=dev\b/.test(l)), buildLog.join('\n'));
  assert.ok(!existsSync(join(app, 'node_modules/typescript')), 'dev dependencies are pruned from the image');
  assert.ok(existsSync(join(app, 'node_modules/tsx')), 'tsx stays: a user config file is TypeScript');
  assert.ok(existsSync(join(app, 'node_modules/esbuild')), 'esbuild stays: authserver build bundles with it');
});

test('npm run build compiles the CLI, kernel, plugins and migrations to JavaScript with an executable entry', () => {
  for (const dir of ['dist/kernel', 'dist/plugins', 'dist/migrations']) assert.ok(existsSync(join(app, dir)), dir);
  const entry = join(app, 'dist/bin/authserver.js');
  const shebang = readFileSync(entry, 'utf8').split('\n', 1)[0]!;
  assert.match(shebang, /^#!\/usr\/bin\/env -S node( --[\w-]+(=\S+)?)*$/);
  // The Docker image runs the binary with the same node flags as its shebang.
  assert.deepEqual(ENTRYPOINT, [process.execPath, ...shebang.split(' ').slice(3), 'dist/bin/authserver.js']);
  assert.ok((statSync(entry).mode & 0o111) !== 0, 'dist/bin/authserver.js is executable');
  const emitted = files(join(app, 'dist'));
  assert.ok(emitted.some((f) => f.endsWith('dist/migrations/audit-db/0001_audit_events.js')));
  const typescript = emitted.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  assert.deepEqual(typescript, []);
  const tsImports = emitted
    .filter((f) => f.endsWith('.js'))
    .filter((f) => /from '[^']+\.ts'|import\('[^']+\.ts'\)/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(tsImports, [], 'compiled files import no .ts module');
  // The binary is a shim into the bundle, which carries the config validators compiled at build time.
  assert.match(readFileSync(entry, 'utf8'), /import '\.\.\/bundle\/bin\/authserver\.js'/);
  const chunks = files(join(app, 'dist/bundle')).filter((f) => f.endsWith('.js'));
  assert.ok(chunks.some((f) => /PRECOMPILED\d*\s*=\s*new Map\(\[\["/.test(readFileSync(f, 'utf8'))), 'precompiled config validators');
  assert.ok(!existsSync(join(app, 'dist/bundle-input')), 'build intermediates are removed');
});

test('the compiled CLI runs through its shebang and prints its version', async () => {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const { stdout } = await run(join(app, 'dist/bin/authserver.js'), ['version'], {
    cwd: app,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  assert.equal(stdout.trim(), `authserver ${version}`);
});

test('the installed CLI builds a minimal server from its compiled modules, which runs on its own', async (t) => {
  const config = join(app, 'machine.config.ts');
  writeFileSync(
    config,
    "import { defineConfig } from 'authplane';\n" +
      "import { clientCredentials, clients, keystoreKeyfile, resources, storageSqlite } from 'authplane/plugins';\n" +
      'export default defineConfig({ plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), clientCredentials()] });\n',
  );
  const out = join(tempDir(t), 'server');
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  const built = await run(process.execPath, [join(app, 'dist/bin/authserver.js'), 'build', '--config', config, '--out', out], { cwd: app, env });
  assert.match(built.stdout, /^ {2}plugins {3}client-credentials, clients, keystore-keyfile, resources, storage-sqlite$/m);
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
  assert.ok(Object.keys(meta.inputs).includes('dist/kernel/app.js'), 'bundled from the compiled modules, not dist/bundle');
  const dir = tempDir(t);
  const migrated = await run(process.execPath, [join(out, 'authserver.js'), 'migrate'], { cwd: dir, env });
  assert.match(migrated.stdout, /applied \d+ migration\(s\)/);
  assert.ok(existsSync(join(dir, 'data/authserver.db')));
});

test('the compiled CLI migrates idempotently from a clean directory', async (t) => {
  const dir = tempDir(t);
  cpSync(join(app, 'package.json'), join(dir, 'package.json'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, AUTHPLANE_STORAGE_SQLITE_PATH: join(dir, 'db.sqlite') };
  const cli = join(app, 'dist/bin/authserver.js');
  const first = await run(process.execPath, [cli, 'migrate'], { cwd: dir, env });
  assert.match(first.stdout, /applied \d+ migration\(s\)/);
  const second = await run(process.execPath, [cli, 'migrate'], { cwd: dir, env });
  assert.match(second.stdout, /nothing to apply/);
});

test('the compiled CLI loads authplane.config.ts, and the TypeScript it imports, in a project whose package.json is not an ES module package (as `npm init` writes it)', async (t) => {
  const project = tempDir(t);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-auth', version: '1.0.0' }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(app, join(project, 'node_modules', 'authplane'), 'dir');
  writeFileSync(join(project, 'database.ts'), `export const path: string = ${JSON.stringify(join(project, 'from-config.db'))};\n`);
  writeFileSync(
    join(project, 'authplane.config.ts'),
    "import { defineConfig } from 'authplane';\n" +
      "import { keystoreKeyfile, storageSqlite } from 'authplane/plugins';\n" +
      "import { path } from './database.ts';\n" +
      'export default defineConfig({ storage: { sqlite: { path } }, plugins: [storageSqlite(), keystoreKeyfile()] });\n',
  );
  const env = { PATH: process.env.PATH, HOME: process.env.HOME };
  // Before the config's TypeScript was loaded as ES modules whatever the package says: "Cannot require() ES Module … in a cycle".
  const migrated = await run(process.execPath, [join(app, 'dist/bin/authserver.js'), 'migrate'], { cwd: project, env });
  assert.match(migrated.stdout, /applied \d+ migration\(s\)/);
  assert.ok(existsSync(join(project, 'from-config.db')), 'the database path came from the imported TypeScript module');
});

test('the image command serves with a TypeScript config that imports authplane from dist, then exits 0 on SIGTERM', async (t) => {
  writeFileSync(join(app, 'authplane.config.ts'), USER_CONFIG);
  assert.deepEqual(CMD, ['serve']); // spawnServe adds it
  const { child, url, adminUrl, exited, output } = await spawnServe(t, {
    cwd: app,
    command: ENTRYPOINT,
    env: { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY },
  });

  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual({ ...((await health.json()) as object), time: undefined }, { status: 'ok', db: 'ok', time: undefined });

  const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0]!.kty, 'EC');
  assert.equal(jwks.keys[0]!.d, undefined, 'no private member is published');
  assert.ok(existsSync(join(app, 'data/keys')), 'the key was generated under the config file key path');

  const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  // The package's entry points are the bundle's, the very modules the CLI runs.
  assert.equal(discovery.kernel_module, new URL('dist/bundle/kernel/index.js', `file://${app}/`).href);

  // The config's plugin throws the kernel's own error class: one module instance, so a 400 and not a 500.
  const refused = await fetch(`${url}/oauth/build-probe`);
  assert.equal(refused.status, 400);
  assert.equal(((await refused.json()) as { error: string }).error, 'invalid_request');

  const status = await fetch(`${adminUrl}/admin/system/status`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(status.status, 200);

  // The audit export reads on a worker thread (an evaluated program: nothing to find next to the bundle's chunks).
  const exported = await fetch(`${adminUrl}/admin/audit/export`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(exported.status, 200, await exported.clone().text());
  await exported.text();
  await waitFor('the log line of the long-read worker', () => output().includes('long-read worker thread started'), { lastSeen: output });

  // The console is bundled at run time from the sources the image ships beside dist: the shell and the audit page.
  const shell = await fetch(`${adminUrl}/admin/ui/`);
  assert.equal(shell.status, 200, await shell.clone().text());
  const script = /<script[^>]+src="([^"]+)"/.exec(await shell.text())?.[1];
  assert.ok(script, 'the shell names its bundle');
  const bundle = await fetch(new URL(script, `${adminUrl}/admin/ui/`));
  assert.equal(bundle.status, 200);
  assert.match(await bundle.text(), /ap-audit-page/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, output());
});

test('the precompiled config validators report exactly what validators compiled at boot report', async (t) => {
  const dir = tempDir(t);
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AUTHPLANE_STORAGE_SQLITE_PATH: join(dir, 'db.sqlite'),
    AUTHPLANE_SERVER_ISSUER: 'ftp://auth.example.com',
    AUTHPLANE_SERVER_BODY_LIMIT: '5',
    AUTHPLANE_RATE_LIMIT_ENABLED: 'maybe',
    AUTHPLANE_DPOP_NONCE_TTL: '-1',
  };
  const failure = (command: string[]) =>
    run(process.execPath, [...command, 'serve'], { cwd: dir, env }).then(
      () => assert.fail('serve must refuse the configuration'),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
  const compiled = await failure([join(app, 'dist/bin/authserver.js')]);
  const source = await failure(['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bin/authserver.ts')]);
  assert.equal(compiled.code, 1);
  assert.match(compiled.stderr, /server\.issuer: must be an absolute URL/);
  assert.match(compiled.stderr, /rateLimit\.enabled: must be boolean \(from AUTHPLANE_RATE_LIMIT_ENABLED\)/);
  assert.match(compiled.stderr, /dpop\.nonceTtl: must be >= 1/);
  assert.equal(compiled.stderr, source.stderr, 'the same problems, in the same order, with or without precompiled validators');
});
