/**
 * Long reads off the event loop (issue 25): on SQLite `runtime.readRows` runs a select on a worker thread with a
 * connection of its own, so the server answers requests while it runs; on PostgreSQL it is the query itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { OffLoopReader, ProblemError, readRows, uuidv7, type AuthPlane } from 'authplane';
import { requirePostgres } from '../helpers/postgres.js';
import { CHILD_WAIT_MS, outputTail, REPO_ROOT, startServer, tempDir, type TestServer } from '../helpers/server.js';

/** A select that keeps SQLite busy for a while (seconds) without touching a table: `rows` steps of a recursive CTE. */
const heavySql = (rows: number) => `with recursive c(x) as (select 1 union all select x + 1 from c where x < ${rows}) select count(*) as n from c`;

async function seedAudit(server: AuthPlane, count: number): Promise<void> {
  const base = Date.now() - 3_600_000;
  const rows = Array.from({ length: count }, (_, i) => ({ id: uuidv7(), time: base + Math.floor(i / 3), action: `seed.${i % 7}`, client_id: `c${i % 5}` }));
  await server.db.batchInsert('audit_events', rows, 500);
}

/** Settles `promise` into a record the test can look at before and after it finishes. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  const done = promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return { state, done };
}

for (const storage of ['sqlite', 'postgres'] as const) {
  describe(`runtime.readRows on ${storage}`, () => {
    async function server(t: TestContext): Promise<TestServer | undefined> {
      if (storage === 'postgres' && !(await requirePostgres(t))) return undefined;
      return startServer(t, { storage });
    }

    test('returns the rows the direct query returns, for a query builder and a raw select', async (t) => {
      const fx = await server(t);
      if (!fx) return;
      await seedAudit(fx.server, 1200);
      const rt = fx.server.runtimeApi();
      const query = () => fx.server.db('audit_events').where('action', 'like', 'seed.%').where('client_id', '!=', 'c2').orderBy([{ column: 'time' }, { column: 'id' }]);
      const direct = (await query()) as unknown[];
      assert.ok(direct.length > 900);
      assert.deepEqual(await rt.readRows(query()), direct);
      const raw = fx.server.db.raw('select action, count(*) as n from audit_events where time > ? group by action order by action', [0]);
      const rawRows = await rt.readRows<{ action: string; n: number | string }>(raw);
      assert.equal(rawRows.length, 7);
      assert.equal(rawRows.reduce((sum, row) => sum + Number(row.n), 0), 1200);
      if (storage === 'sqlite') assert.equal(fx.server.offLoopReader?.started, 1, 'read on the worker');
      else assert.equal(fx.server.offLoopReader, undefined, 'PostgreSQL reads on its pool');

      // The exported function finds the database's worker from the query alone; inside a transaction it reads on
      // the transaction (its own uncommitted rows included), never on the worker.
      assert.deepEqual(await readRows(query()), direct);
      await fx.server.db.transaction(async (trx) => {
        await trx('audit_events').insert({ id: uuidv7(), time: Date.now(), action: 'in.transaction' });
        assert.equal((await readRows(trx('audit_events').where('action', 'in.transaction'))).length, 1);
      });
      if (storage === 'sqlite') assert.equal(fx.server.offLoopReader?.started, 1);
    });
  });
}

describe('runtime.readRows on SQLite', () => {
  test('a heavy read runs on the worker while requests complete; a worker that dies fails it with a 503, and the next read starts a new worker', async (t) => {
    const fx = await startServer(t);
    const rt = fx.server.runtimeApi();
    const heavy = track(rt.readRows<{ n: number }>(fx.server.db.raw(heavySql(8_000_000))));
    const reader = fx.server.offLoopReader!;
    assert.ok(reader.thread, 'the read went to a worker thread');
    // On the event loop this read would hold every request until it ended; on the worker they go on meanwhile.
    const health = await fetch(`${fx.url}/health`, { signal: AbortSignal.timeout(60_000) });
    assert.equal(health.status, 200);
    const audit = await fx.admin('/admin/audit');
    assert.equal(audit.status, 200, 'a request that reads the database completes too');
    assert.equal(heavy.state.settled, false, 'the requests completed while the heavy read ran');

    // Ended from outside (as a crash would end it): the read fails with a clear problem, not a hang.
    const thread = reader.thread!;
    void thread.terminate();
    await heavy.done;
    assert.ok(heavy.state.error instanceof ProblemError, String(heavy.state.error));
    assert.equal(heavy.state.error.status, 503);
    assert.match(heavy.state.error.message, /worker thread reading the database stopped before answering/);
    assert.equal(reader.thread, undefined);

    const counted = await rt.readRows<{ n: number }>(fx.server.db('audit_events').count({ n: '*' }));
    assert.equal(typeof counted[0]?.n, 'number');
    assert.equal(reader.started, 2, 'a new worker answered');
    assert.ok(fx.logs.some((line) => line.msg === 'long-read worker thread started'), 'the start is logged');

    const current = reader.thread!;
    const exited = once(current, 'exit');
    await fx.server.stop();
    await exited;
    assert.equal(reader.thread, undefined, 'stopping the server ends the worker');
  });

  test('reads beyond the bound are refused with a 503 at once instead of queuing', async (t) => {
    const fx = await startServer(t);
    const reader = new OffLoopReader({ driver: createRequire(import.meta.url).resolve('better-sqlite3'), filename: join(fx.dir, 'authserver.db') }, { maxPending: 1 });
    t.after(() => reader.close());
    const first = track(reader.read(heavySql(300_000), []));
    await assert.rejects(reader.read('select 1 as one', []), (err: ProblemError) => err.status === 503 && /already under way/.test(err.message));
    await first.done;
    assert.deepEqual(first.state.value, [{ n: 300_000 }]);
    assert.deepEqual(await reader.read('select ? as one', [true]), [{ one: 1 }], 'room again once it ended; booleans bound as SQLite does');
  });

  test('the audit export reads through the worker', async (t) => {
    const fx = await startServer(t);
    await seedAudit(fx.server, 1100);
    const response = await fx.admin('/admin/audit/export');
    assert.equal(response.status, 200);
    const lines = (await response.text()).trim().split('\n');
    assert.ok(lines.length >= 1100, `${lines.length} events exported`);
    assert.ok((fx.server.offLoopReader?.started ?? 0) >= 1, 'the export started the worker');
  });

  test('a process that read through the worker and stopped its server exits on its own', async (t) => {
    const dir = tempDir(t);
    const script = `
      import { join } from 'node:path';
      import { AuthPlane } from 'authplane';
      import { keystoreKeyfile, storageSqlite } from 'authplane/plugins';
      const dir = ${JSON.stringify(dir)};
      const server = new AuthPlane(
        { storage: { sqlite: { path: join(dir, 'a.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' }, plugins: [storageSqlite(), keystoreKeyfile()] },
        { env: { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' } },
      );
      await server.boot();
      const rows = await server.runtimeApi().readRows(server.db('knex_migrations').count({ n: '*' }));
      await server.stop();
      console.log('read', JSON.stringify(rows));
    `;
    const child = spawn(process.execPath, ['--conditions=authplane-source', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_WAIT_MS);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, outputTail('output', output));
    assert.match(output, /^read \[\{"n":\d+\}\]$/m);
  });
});
