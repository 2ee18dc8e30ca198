import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import knex from 'knex';
import { FAILING_PURGE_MESSAGE } from '../fixtures/plugins/failing-purge-plugin.js';
import { errorLines, fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/server.js';

const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
const QUIET = { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' };

describe('authserver basics', { concurrency: 2 }, () => {
  test('authserver version prints "authserver <semver>"', async (t) => {
    const cwd = tempDir(t);
    for (const args of [['version'], ['--version']]) {
      const result = await runCli(args, { cwd });
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `authserver ${VERSION}\n`);
      assert.match(VERSION, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
    }
  });

  test('--help works on its own and on every command, and exits 0', async (t) => {
    const cwd = tempDir(t);
    const top = await runCli(['--help'], { cwd, env: QUIET });
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /^Usage: authserver <command> \[options\]/);
    for (const command of ['serve', 'migrate', 'purge', 'admin key list', 'admin key rotate', 'version']) {
      assert.match(top.stdout, new RegExp(`^  ${command}\\s{2,}\\S`, 'm'), `${command} is listed`);
    }
    const commands = ['serve', 'migrate', 'purge', 'admin key list', 'admin key rotate'];
    const results = await Promise.all(commands.map((c) => runCli([...c.split(' '), '--help'], { cwd, env: QUIET })));
    results.forEach((result, i) => {
      const command = commands[i]!;
      assert.equal(result.code, 0, `${command} --help: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: authserver ${command} `), command);
      assert.match(result.stdout, /--config <path>/, `${command} documents --config`);
      assert.match(result.stdout, /--help/, `${command} documents --help`);
    });
    assert.match(results[2]!.stdout, /--only <value>/);
    assert.match(results[2]!.stdout, /--timeout <value>/);
    const grouped = await runCli(['admin', '--help'], { cwd, env: QUIET });
    assert.equal(grouped.code, 0);
    assert.match(grouped.stdout, /admin key rotate/);
    const versionHelp = await runCli(['version', '--help'], { cwd, env: QUIET });
    assert.equal(versionHelp.code, 0);
    assert.match(versionHelp.stdout, /^Usage: authserver/, 'version --help shows help, not the version');
    const serveHelp = await runCli(['serve', '-h'], { cwd, env: QUIET });
    assert.equal(serveHelp.code, 0);
    assert.doesNotMatch(serveHelp.stdout, /listening/, 'help does not start the server');
  });

  test('an unknown command prints "error: …" once and exits 1', async (t) => {
    const cwd = tempDir(t);
    const result = await runCli(['frobnicate'], { cwd, env: QUIET });
    assert.equal(result.code, 1);
    assert.deepEqual(errorLines(result.stderr), ["error: unknown command 'frobnicate' (see authserver --help)"]);
    assert.equal(result.stdout, '');
  });

  test('an incomplete command and an unknown option are usage errors', async (t) => {
    const cwd = tempDir(t);
    const [group, option] = await Promise.all([
      runCli(['admin', 'key'], { cwd, env: QUIET }),
      runCli(['migrate', '--frobnicate'], { cwd, env: QUIET }),
    ]);
    assert.equal(group.code, 1);
    assert.deepEqual(errorLines(group.stderr), ["error: 'admin key' needs a subcommand: admin key list, admin key rotate"]);
    assert.equal(option.code, 1);
    const [line] = errorLines(option.stderr);
    assert.match(line ?? '', /^error: .*--frobnicate.*\(see authserver migrate --help\)$/);
    assert.equal(errorLines(option.stderr).length, 1);
  });
});

describe('authserver purge', () => {
  async function seeded(t: { after(fn: () => unknown): void }, plugins: string[], imports: string[]) {
    const dir = repoTempDir(t, 'purge-');
    const dbPath = join(dir, 'auth.db');
    const config = writeConfigFile(dir, {
      settings: { storage: { sqlite: { path: dbPath } }, signing: { keyPath: join(dir, 'keys') } },
      imports: [fixtureImport('helloPlugin', 'hello-plugin.ts'), ...imports],
      plugins: ['helloPlugin()', ...plugins],
    });
    const migrated = await runCli(['migrate', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(migrated.code, 0, migrated.stderr);
    const db = knex({ client: 'better-sqlite3', connection: { filename: dbPath }, useNullAsDefault: true });
    try {
      const now = Date.now();
      await db('hello_rows').insert([{ expires_at: now - 60_000 }, { expires_at: now - 1 }, { expires_at: now + 3_600_000 }]);
    } finally {
      await db.destroy();
    }
    return { dir, config, dbPath };
  }

  test('purge --only hello_rows prints the rows deleted per target; a second run deletes nothing', async (t) => {
    const { dir, config, dbPath } = await seeded(t, [], []);
    const first = await runCli(['purge', '--only', 'hello_rows', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'hello_rows: 2 deleted\n');
    const second = await runCli(['purge', '--only=hello_rows', '--timeout', '30s', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, 'hello_rows: 0 deleted\n');
    const all = await runCli(['purge', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.stdout.trim().split('\n').sort(), ['audit_events: 0 deleted', 'hello_rows: 0 deleted']);
    const db = knex({ client: 'better-sqlite3', connection: { filename: dbPath }, useNullAsDefault: true });
    try {
      assert.deepEqual(await db('hello_rows').count({ n: '*' }), [{ n: 1 }], 'the unexpired row is kept');
    } finally {
      await db.destroy();
    }
  });

  test('purge --only with an unknown target exits 1 naming it and the known ones', async (t) => {
    const { dir, config } = await seeded(t, [], []);
    const result = await runCli(['purge', '--only', 'nope,hello_rows', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(result.code, 1);
    assert.deepEqual(errorLines(result.stderr), ['error: unknown purge target(s): nope (known: audit_events, hello_rows)']);
    assert.equal(result.stdout, '', 'nothing ran');
    const badTimeout = await runCli(['purge', '--timeout', 'soon', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(badTimeout.code, 1);
    assert.deepEqual(errorLines(badTimeout.stderr), ["error: invalid duration 'soon' (use e.g. 90s, 10m, 1h)"]);
  });

  test('a failing purge target makes purge exit non-zero while the other targets still run', async (t) => {
    const { dir, config } = await seeded(t, ['failingPurgePlugin()'], [fixtureImport('failingPurgePlugin', 'failing-purge-plugin.ts')]);
    const result = await runCli(['purge', '--config', config], { cwd: dir, env: QUIET });
    assert.notEqual(result.code, 0);
    const lines = result.stdout.trim().split('\n').sort();
    assert.deepEqual(lines, ['audit_events: 0 deleted', `failing_rows: failed: ${FAILING_PURGE_MESSAGE}`, 'hello_rows: 2 deleted']);
    const only = await runCli(['purge', '--only', 'hello_rows', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(only.code, 0, 'without the failing target it succeeds');
  });
});
