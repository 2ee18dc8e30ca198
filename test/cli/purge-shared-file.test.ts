/**
 * `authserver purge` next to a running server on SQLite: the two processes share one writer lock. Between batches
 * the purge releases the file for a while (kernel/storage/batched-delete.ts), so another process's write gets in
 * at its next try instead of finding the lock taken again and again (SQLite's busy handler then sleeps up to 100 ms
 * a try, with that server's event loop stopped).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { runCli } from '../helpers/server.js';

interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
}
interface Connection {
  prepare(sql: string): Statement;
  transaction(fn: () => void): () => void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options: { timeout: number }) => Connection;

const QUIET = { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' };
const ROWS = 200_000;

test('while authserver purge deletes in another process, most writes of this one find the lock free at once', async (t) => {
  const dir = repoTempDir(t, 'purge-shared-');
  const dbPath = join(dir, 'auth.db');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: dbPath } }, signing: { keyPath: join(dir, 'keys') } },
    imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
    plugins: ['helloPlugin()'],
  });
  const migrated = await runCli(['migrate', '--config', config], { cwd: dir, env: QUIET });
  assert.equal(migrated.code, 0, migrated.stderr);

  // A writer that never waits: busy_timeout 0, so a taken lock is SQLITE_BUSY at once.
  const db = new Database(dbPath, { timeout: 0 });
  t.after(() => db.close());
  const expired = Date.now() - 60_000;
  const insert = db.prepare('insert into hello_rows (expires_at) values (?)');
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(expired);
  })();
  const first = (db.prepare('select min(id) as id from hello_rows').get() as { id: number }).id;
  const lowest = db.prepare('select min(id) as id from hello_rows');

  let exited = false;
  const purge = runCli(['purge', '--only', 'hello_rows', '--config', config], { cwd: dir, env: QUIET }).finally(() => (exited = true));
  const tick = () => new Promise((resolve) => setTimeout(resolve, 2));
  // The purge deletes from the lowest id up: it is under way once the lowest id moved.
  while (!exited && (lowest.get() as { id: number }).id === first) await tick();
  let free = 0;
  let busy = 0;
  while (!exited) {
    try {
      insert.run(Date.now() + 3_600_000);
      free++;
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'SQLITE_BUSY', String(err));
      busy++;
    }
    await tick();
  }
  const result = await purge;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `hello_rows: ${ROWS} deleted\n`);
  t.diagnostic(`${free} writes found the lock free, ${busy} found it taken, while the purge ran`);
  assert.ok(free + busy >= 20, `enough tries while the purge ran (${free + busy})`);
  // Measured: about 90 % with the pause, about half without it.
  assert.ok(free / (free + busy) >= 0.7, `${free} of ${free + busy} writes found the lock free`);
});
