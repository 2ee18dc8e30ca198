import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { users } from 'authplane/plugins';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli, startServer } from '../../helpers/server.js';
import { usersProbe } from '../../fixtures/plugins/users-probe.js';

function setup(t: Parameters<typeof repoTempDir>[0]) {
  const dir = repoTempDir(t, 'users-cli-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { users } from 'authplane/plugins';"],
    plugins: ['users()'],
  });
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false' };
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env });
  return { dir, config, env, cli };
}

test('admin user create, list, get, update, disable, enable and delete work with the admin listener disabled', async (t) => {
  const { dir, cli } = setup(t);
  const created = await cli('admin', 'user', 'create', '--email', 'Alice@Example.com', '--name', 'Alice', '--password', 'correct horse battery', '--role', 'admin', '--json');
  assert.equal(created.code, 0, created.stderr);
  const alice = JSON.parse(created.stdout);
  assert.equal(alice.email, 'alice@example.com');
  assert.ok(!created.stdout.includes('scrypt'));

  const list = await cli('admin', 'user', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), { users: [alice], next: null });
  const table = await cli('admin', 'user', 'list');
  assert.match(table.stdout, /^ID\s+EMAIL\s+NAME\s+ROLE\s+STATUS\s+LAST_LOGIN_AT/m);
  assert.match(table.stdout, /alice@example\.com\s+Alice\s+admin\s+active/);

  assert.equal(JSON.parse((await cli('admin', 'user', 'get', 'ALICE@example.com', '--json')).stdout).id, alice.id);
  assert.equal(JSON.parse((await cli('admin', 'user', 'update', alice.id, '--name', 'Alice A.', '--json')).stdout).name, 'Alice A.');
  assert.match((await cli('admin', 'user', 'disable', alice.id)).stdout, /alice@example\.com is now disabled/);
  const again = await cli('admin', 'user', 'disable', alice.id);
  assert.equal(again.code, 1);
  assert.match(errorLines(again.stderr)[0] ?? '', /already disabled/);
  assert.match((await cli('admin', 'user', 'enable', 'alice@example.com')).stdout, /is now active/);

  // A server on the same database lets the CLI-created user log in with the CLI-set password.
  const { admin, server } = await startServer(t, { plugins: [users(), usersProbe()], dir });
  const verified = await (await admin('/admin/probe/users/verify', { method: 'POST', body: JSON.stringify({ email: 'alice@example.com', password: 'correct horse battery' }) })).json();
  assert.equal(verified.user?.id, alice.id);
  await server.stop();

  assert.equal((await cli('admin', 'user', 'delete', alice.id)).code, 0);
  assert.deepEqual(JSON.parse((await cli('admin', 'user', 'list', '--json')).stdout), { users: [], next: null });
});

test('admin user create reads the password from stdin and refuses a short one', async (t) => {
  const { dir, config, env, cli } = setup(t);
  const created = await runCli(
    ['admin', 'user', 'create', '--email', 'bob@example.com', '--name', 'Bob', '--password-stdin', '--json', '--config', config],
    { cwd: dir, env, input: 'from standard input\n' },
  );
  assert.equal(created.code, 0, created.stderr);
  const bob = JSON.parse(created.stdout);
  assert.equal(bob.role, 'user');

  const { admin } = await startServer(t, { plugins: [users(), usersProbe()], dir });
  const verify = async (password: string) =>
    (await (await admin('/admin/probe/users/verify', { method: 'POST', body: JSON.stringify({ email: 'bob@example.com', password }) })).json()).user;
  assert.equal((await verify('from standard input'))?.id, bob.id, 'the trailing newline is not part of the password');

  const short = await cli('admin', 'user', 'create', '--email', 'c@example.com', '--name', 'C', '--password', 'short');
  assert.equal(short.code, 1);
  assert.deepEqual(errorLines(short.stderr), ['error: password: must NOT have fewer than 8 characters']);
});
