import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { errorLines } from '../helpers/config-files.js';
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
    const commands = ['serve', 'migrate', 'purge', 'admin key list', 'admin key rotate', 'admin client create'];
    const results = await Promise.all(commands.map((c) => runCli([...c.split(' '), '--help'], { cwd, env: QUIET })));
    results.forEach((result, i) => {
      const command = commands[i]!;
      assert.equal(result.code, 0, `${command} --help: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: authserver ${command} `), command);
      assert.match(result.stdout, /--config <path>/, `${command} documents --config`);
      assert.match(result.stdout, /--help/, `${command} documents --help`);
      // Flags longer than the usual column (--redirect-uris <value>) still leave a gap before their description.
      for (const line of result.stdout.split('\n').filter((l) => l.startsWith('  --'))) {
        assert.match(line, /^  --[\w-]+(, -\w)?( <\w+>)?\s{2,}\S/, `${command}: "${line}"`);
      }
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
