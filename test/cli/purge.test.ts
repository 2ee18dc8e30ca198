import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import knex from 'knex';
import { FAILING_PURGE_MESSAGE } from '../fixtures/plugins/failing-purge-plugin.js';
import { errorLines, fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { runCli } from '../helpers/server.js';

const QUIET = { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' };

describe('authserver purge', { concurrency: true }, () => {
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
    const lines = all.stdout.trim().split('\n');
    assert.ok(lines.includes('audit_events: 0 deleted') && lines.includes('hello_rows: 0 deleted'), all.stdout);
    for (const line of lines) assert.match(line, /^\w+: \d+ deleted$/, 'one line per target');
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
    const errors = errorLines(result.stderr);
    assert.equal(errors.length, 1, result.stderr);
    assert.match(errors[0]!, /^error: unknown purge target\(s\): nope \(known: (\w+, )*hello_rows(, \w+)*\)$/);
    assert.match(errors[0]!, /\baudit_events\b/);
    assert.equal(result.stdout, '', 'nothing ran');
    const badTimeout = await runCli(['purge', '--timeout', 'soon', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(badTimeout.code, 1);
    assert.deepEqual(errorLines(badTimeout.stderr), ["error: invalid duration 'soon' (use e.g. 90s, 10m, 1h)"]);
  });

  test('purge --only audit_events --older-than 90d deletes only audit events older than that; --older-than refuses targets without a retention period', async (t) => {
    const { dir, config, dbPath } = await seeded(t, [], []);
    const day = 86_400_000;
    const now = Date.now();
    const ages = { old: 100 * day, month: 30 * day, recent: 3_600_000 };
    const db = knex({ client: 'better-sqlite3', connection: { filename: dbPath }, useNullAsDefault: true });
    t.after(() => db.destroy());
    await db('audit_events').insert(
      Object.entries(ages).map(([name, age]) => ({ id: `00000000-0000-7000-8000-${name.padStart(12, '0')}`, time: now - age, action: name })),
    );
    const remaining = async () => (await db('audit_events').orderBy('action').pluck('action')) as string[];

    const ninety = await runCli(['purge', '--only', 'audit_events', '--older-than', '90d', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(ninety.code, 0, ninety.stderr);
    assert.equal(ninety.stdout, 'audit_events: 1 deleted\n');
    assert.deepEqual(await remaining(), ['month', 'recent']);

    const twelveHours = await runCli(['purge', '--only', 'audit_events', '--older-than', '12h', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(twelveHours.code, 0, twelveHours.stderr);
    assert.equal(twelveHours.stdout, 'audit_events: 1 deleted\n');
    assert.deepEqual(await remaining(), ['recent']);

    const everything = await runCli(['purge', '--older-than', '90d', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(everything.code, 1);
    const [error] = errorLines(everything.stderr);
    assert.match(error!, /^error: --older-than applies only to targets with a retention period \((\w+, )*audit_events(, \w+)*\); pick them with --only \(not: .*hello_rows.*\)$/);
    assert.equal(everything.stdout, '', 'nothing ran');
    const badAge = await runCli(['purge', '--only', 'audit_events', '--older-than', 'ninety days', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(badAge.code, 1);
    assert.deepEqual(errorLines(badAge.stderr), ["error: invalid duration 'ninety days' (use e.g. 90s, 10m, 1h)"]);
    assert.deepEqual(await remaining(), ['recent'], 'refused runs delete nothing');
  });

  test('a failing purge target makes purge exit non-zero while the other targets still run', async (t) => {
    const { dir, config } = await seeded(t, ['failingPurgePlugin()'], [fixtureImport('failingPurgePlugin', 'failing-purge-plugin.ts')]);
    const result = await runCli(['purge', '--config', config], { cwd: dir, env: QUIET });
    assert.notEqual(result.code, 0);
    const lines = result.stdout.trim().split('\n');
    assert.ok(lines.includes(`failing_rows: failed: ${FAILING_PURGE_MESSAGE}`), result.stdout);
    assert.ok(lines.includes('hello_rows: 2 deleted'), 'the other targets still ran');
    assert.ok(lines.includes('audit_events: 0 deleted'));
    const only = await runCli(['purge', '--only', 'hello_rows', '--config', config], { cwd: dir, env: QUIET });
    assert.equal(only.code, 0, 'without the failing target it succeeds');
  });
});
