/**
 * A database or path the server cannot use is one line on stderr naming the setting and its environment variable:
 * no driver stack, never the DSN's password. Through the real CLI, as a child process.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { PG_ADMIN_DSN, requirePostgres } from '../helpers/postgres.js';
import { ADMIN_KEY, freePort, runCli, tempDir, type CliResult } from '../helpers/server.js';

const SESSION_SECRET = 'storage-errors-session-secret-0123456789abcdef';
const BASE_ENV = { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY, AUTHPLANE_SESSION_SECRET: SESSION_SECRET };

/**
 * Permissions bind everyone but root: as root the CLI runs as `nobody`, in a directory everyone may enter, so a
 * read-only file is read-only for it too.
 */
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

function workDir(t: TestContext): string {
  const dir = tempDir(t, 'storage-errors-');
  chmodSync(dir, 0o777);
  return dir;
}

function cli(t: TestContext, command: 'serve' | 'migrate', env: NodeJS.ProcessEnv, dir = workDir(t)): Promise<CliResult> {
  return runCli([command], {
    cwd: dir,
    // Both listeners on free ports, in case serve got that far.
    env: { ...BASE_ENV, HOME: dir, AUTHPLANE_SERVER_ADDRESS: '127.0.0.1:0', AUTHPLANE_ADMIN_ADDRESS: '127.0.0.1:0', ...env },
    user: asUser,
    timeoutMs: 90_000,
  });
}

function assertOneClearLine(result: CliResult, mentions: string[], secret?: string): string {
  assert.equal(result.code, 1, `exit code\n${result.stdout}\n${result.stderr}`);
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  const line = lines[0]!;
  assert.match(line, /^error: /);
  for (const text of mentions) assert.ok(line.includes(text), `"${line}" names ${text}`);
  for (const output of [result.stderr, result.stdout]) {
    assert.doesNotMatch(output, /^\s+at /m, 'no stack');
    assert.doesNotMatch(output, /Acquire connection error|knex:/i, 'no driver noise');
    if (secret) assert.ok(!output.includes(secret), 'the password is never printed');
  }
  return line;
}

for (const command of ['serve', 'migrate'] as const) {
  test(`authserver ${command} with a PostgreSQL DSN nothing listens on prints one line naming AUTHPLANE_STORAGE_POSTGRES_DSN, without the password`, async (t) => {
    const port = await freePort();
    const result = await cli(t, command, {
      AUTHPLANE_STORAGE_DRIVER: 'postgres',
      AUTHPLANE_STORAGE_POSTGRES_DSN: `postgres://authplane:s3cret-pw@127.0.0.1:${port}/authplane`,
    });
    const line = assertOneClearLine(result, ['storage.postgres.dsn', 'AUTHPLANE_STORAGE_POSTGRES_DSN', `127.0.0.1:${port}`, 'connection refused'], 's3cret-pw');
    assert.doesNotMatch(line, /ECONNREFUSED/, 'said in words, not errno');
  });
}

test('authserver serve with a DSN that is not a URL says what a DSN looks like, not getaddrinfo ENOTFOUND', async (t) => {
  const result = await cli(t, 'serve', { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: 'not a dsn' });
  const line = assertOneClearLine(result, ['AUTHPLANE_STORAGE_POSTGRES_DSN', 'postgres://']);
  assert.doesNotMatch(line, /ENOTFOUND|getaddrinfo/);
});

test('authserver migrate against a PostgreSQL database that does not exist names the database and the setting', async (t) => {
  if (!(await requirePostgres(t))) return;
  const url = new URL(PG_ADMIN_DSN);
  url.password = 'pw-not-to-print';
  url.pathname = '/authplane_no_such_database';
  const result = await cli(t, 'migrate', { AUTHPLANE_STORAGE_DRIVER: 'postgres', AUTHPLANE_STORAGE_POSTGRES_DSN: url.toString() });
  assertOneClearLine(result, ['authplane_no_such_database', 'AUTHPLANE_STORAGE_POSTGRES_DSN'], 'pw-not-to-print');
});

for (const command of ['serve', 'migrate'] as const) {
  test(`authserver ${command} on a read-only SQLite file names the file and AUTHPLANE_STORAGE_SQLITE_PATH`, async (t) => {
    const dir = workDir(t);
    const file = join(dir, 'auth.db');
    const env = { AUTHPLANE_STORAGE_SQLITE_PATH: file, AUTHPLANE_SIGNING_KEY_PATH: join(dir, 'keys') };
    const made = await cli(t, 'migrate', env, dir);
    assert.equal(made.code, 0, made.stderr);
    chmodSync(file, 0o444);
    assertOneClearLine(await cli(t, command, env, dir), [file, 'storage.sqlite.path', 'AUTHPLANE_STORAGE_SQLITE_PATH']);
  });
}

test('authserver serve with an unwritable data directory names the path and the setting, not a raw EACCES', async (t) => {
  const dir = workDir(t);
  const locked = join(dir, 'locked');
  mkdirSync(locked, { mode: 0o555 });
  chmodSync(locked, 0o555);
  const file = join(locked, 'data', 'auth.db');
  const line = assertOneClearLine(
    await cli(t, 'serve', { AUTHPLANE_STORAGE_SQLITE_PATH: file, AUTHPLANE_SIGNING_KEY_PATH: join(dir, 'keys') }, dir),
    [file, 'AUTHPLANE_STORAGE_SQLITE_PATH', 'permission denied'],
  );
  assert.doesNotMatch(line, /EACCES/);
});

test('authserver serve with an unwritable signing key folder names the folder and AUTHPLANE_SIGNING_KEY_PATH', async (t) => {
  const dir = workDir(t);
  const locked = join(dir, 'locked');
  mkdirSync(locked, { mode: 0o555 });
  chmodSync(locked, 0o555);
  const line = assertOneClearLine(
    await cli(t, 'serve', { AUTHPLANE_STORAGE_SQLITE_PATH: join(dir, 'auth.db'), AUTHPLANE_SIGNING_KEY_PATH: join(locked, 'keys') }, dir),
    [join(locked, 'keys'), 'signing.keyPath', 'AUTHPLANE_SIGNING_KEY_PATH'],
  );
  assert.doesNotMatch(line, /EACCES/);
});
