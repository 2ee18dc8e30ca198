import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
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
    assert.match(grouped.stdout, /admin key <command>\s+Commands: list, rotate/);
    const versionHelp = await runCli(['version', '--help'], { cwd, env: QUIET });
    assert.equal(versionHelp.code, 0);
    assert.match(versionHelp.stdout, /^Usage: authserver/, 'version --help shows help, not the version');
    const serveHelp = await runCli(['serve', '-h'], { cwd, env: QUIET });
    assert.equal(serveHelp.code, 0);
    assert.doesNotMatch(serveHelp.stdout, /listening/, 'help does not start the server');
  });

  test('authserver help, -v and --version work like --help and version', async (t) => {
    const cwd = tempDir(t);
    const [help, dashHelp, helpCommand, short, long] = await Promise.all([
      runCli(['help'], { cwd, env: QUIET }),
      runCli(['--help'], { cwd, env: QUIET }),
      runCli(['help', 'admin', 'key', 'rotate'], { cwd, env: QUIET }),
      runCli(['-v'], { cwd }),
      runCli(['--version'], { cwd }),
    ]);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, dashHelp.stdout, 'help is --help');
    assert.match(help.stdout, /^ {2}help\s{2,}\S/m, 'help is listed');
    assert.match(help.stdout, /--version, -v/);
    assert.equal(helpCommand.code, 0, helpCommand.stderr);
    assert.match(helpCommand.stdout, /^Usage: authserver admin key rotate /);
    for (const result of [short, long]) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `authserver ${VERSION}\n`);
    }
  });

  test('admin --help and admin client --help list the subcommands of that level only', async (t) => {
    const cwd = tempDir(t);
    const [admin, client, helpClient] = await Promise.all([
      runCli(['admin', '--help'], { cwd, env: QUIET }),
      runCli(['admin', 'client', '--help'], { cwd, env: QUIET }),
      runCli(['help', 'admin', 'client'], { cwd, env: QUIET }),
    ]);
    assert.equal(admin.code, 0, admin.stderr);
    assert.match(admin.stdout, /^Usage: authserver admin <command> \[options\]/);
    assert.match(admin.stdout, /^ {2}admin client <command>\s{2,}Commands: .*\bcreate\b/m);
    assert.match(admin.stdout, /^ {2}admin key <command>\s{2,}Commands: list, rotate$/m);
    assert.doesNotMatch(admin.stdout, /^ {2}(serve|migrate|purge)\b/m, 'not the whole list');
    assert.equal(client.code, 0, client.stderr);
    assert.match(client.stdout, /^Usage: authserver admin client <command> \[options\]/);
    assert.match(client.stdout, /^ {2}admin client create\s{2,}\S/m);
    assert.doesNotMatch(client.stdout, /admin (key|user)/, 'only the client commands');
    assert.equal(helpClient.stdout, client.stdout);
    const unknown = await runCli(['nosuch', '--help'], { cwd, env: QUIET });
    assert.equal(unknown.code, 1);
    assert.deepEqual(errorLines(unknown.stderr), ["error: unknown command 'nosuch' (see authserver --help)"]);
  });

  test('admin commands from a second terminal print no warnings about the admin API key or the session secret', async (t) => {
    const cwd = tempDir(t);
    // As the README's setup runs them: nothing set but the defaults.
    const list = await runCli(['admin', 'key', 'list'], { cwd });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /current/);
    assert.equal(list.stderr, '', 'nothing on stderr');
    const migrate = await runCli(['migrate'], { cwd, env: { AUTHPLANE_ADMIN_API_KEY: 'short' } });
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.equal(migrate.stderr, '');
    // A misspelt variable still concerns every command.
    const typo = await runCli(['admin', 'key', 'list'], { cwd, env: { AUTHPLANE_STORAGE_SQLITE_PAHT: 'x' } });
    assert.match(typo.stderr, /AUTHPLANE_STORAGE_SQLITE_PAHT is set but no enabled option reads it/);
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

describe('which plugins a config file runs', { concurrency: 2 }, () => {
  test('a config file with plugins: [] is refused with a message naming what to write, not run with the default preset', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'authplane.config.ts'), 'export default { plugins: [] };\n');
    for (const args of [['serve'], ['admin', 'key', 'list']]) {
      const result = await runCli(args, { cwd, env: QUIET });
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      const [line, ...rest] = errorLines(result.stderr);
      assert.equal(line, 'error: invalid configuration:');
      assert.deepEqual(rest, []);
      assert.match(result.stderr, /plugins: is empty, and a server without plugins has no storage driver; list the plugins to enable/);
      assert.match(result.stderr, /plugins: \[storageSqlite\(\), keystoreKeyfile\(\), clients\(\), resources\(\), clientCredentials\(\)\]/);
      assert.match(result.stderr, /remove the plugins key for the default preset/);
      assert.doesNotMatch(result.stdout, /listening|current/);
    }
  });

  test('a config file without a plugins key runs the default preset, as documented', async (t) => {
    const cwd = tempDir(t);
    writeFileSync(join(cwd, 'authplane.config.ts'), "export default { log: { level: 'warn' } };\n");
    const help = await runCli(['--help'], { cwd, env: QUIET });
    assert.equal(help.code, 0, help.stderr);
    // Commands of preset plugins: clients, users, resources.
    for (const command of ['admin client create', 'admin user create', 'admin resource create']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\s{2,}\\S`, 'm'), `${command} is listed`);
    }
  });
});
