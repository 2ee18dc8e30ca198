/**
 * WAL checkpoints off the writer (plugins/storage-sqlite/checkpointer.ts), on real SQLite files with real
 * connections: steady writes hand checkpoints to a worker thread and turn the writer's own off; the WAL stays
 * bounded; quiet hands them back; a worker that fails, or falls behind, gives them back at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { framesWritten, WalCheckpointer, type CheckpointerOptions } from '../../../plugins/storage-sqlite/checkpointer.js';
import { walIndexReader } from '../../../plugins/storage-sqlite/wal-index.js';

interface Db {
  pragma(sql: string, options?: { simple: boolean }): unknown;
  exec(sql: string): void;
  prepare(sql: string): { run(...params: unknown[]): unknown; get(...params: unknown[]): unknown };
  transaction(fn: () => void): () => void;
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => Db;

const FAST: Omit<CheckpointerOptions, 'warn' | 'workerSource'> = { idleTickMs: 20, activeTickMs: 5, busyFrames: 50, quietMs: 300, dueFrames: 200, limitFrames: 5000, workerNice: 0 };

function writer(t: TestContext): { db: Db; file: string; write(rows: number): void } {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-checkpoint-'));
  const file = join(dir, 'test.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table rows (id integer primary key, body text not null)');
  db.exec('create index rows_body on rows (body)');
  const insert = db.prepare('insert into rows (body) values (?)');
  t.after(() => {
    try {
      db.close();
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  return { db, file, write: (rows) => db.transaction(() => { for (let i = 0; i < rows; i++) insert.run(`row ${n++} ${'x'.repeat(300)}`); })() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const autocheckpoint = (db: Db) => db.pragma('wal_autocheckpoint', { simple: true });

/**
 * Writes a transaction every few milliseconds until `until` says stop, as a server under load commits. The limit
 * only turns a hang into a failure: a loaded machine stretches every tick of the checkpointer.
 */
async function writeSteadily(write: (rows: number) => void, until: () => boolean, limitMs = 60_000, rows = 20, pauseMs = 2): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!until()) {
    if (Date.now() > deadline) throw new Error(`waited ${limitMs / 1000} s, writing ${rows} rows every ${pauseMs} ms, for ${until.toString()}: in vain`);
    write(rows);
    await sleep(pauseMs);
  }
}

/** A checkpointer on `db` whose worker runs `workerSource` (fault injection), collecting its warnings. */
function withWorker(db: Db, file: string, workerSource: string): { checkpointer: WalCheckpointer; warnings: string[] } {
  const warnings: string[] = [];
  const checkpointer = new WalCheckpointer(db, file, { ...FAST, warn: (m) => warnings.push(m), workerSource });
  return { checkpointer, warnings };
}

test('steady writes move checkpoints to the worker, the WAL stays bounded and restarts, a trickle moves them back', async (t) => {
  const { db, file, write } = writer(t);
  const warnings: string[] = [];
  const checkpointer = new WalCheckpointer(db, file, { ...FAST, warn: (m) => warnings.push(m) });
  t.after(() => checkpointer.close());
  assert.equal(autocheckpoint(db), 1000, "SQLite's default until there is steady writing");

  await writeSteadily(write, () => checkpointer.active);
  assert.equal(autocheckpoint(db), 0, "the writer's automatic checkpoint is off while the worker runs");

  const index = walIndexReader(file);
  t.after(() => index.close());
  const salts = new Set<number>();
  let most = 0;
  const passesBefore = checkpointer.passes;
  await writeSteadily(write, () => {
    const state = index.read()!;
    salts.add(state.salt);
    most = Math.max(most, state.frames);
    return checkpointer.passes >= passesBefore + 5 && salts.size >= 3;
  });
  assert.ok(most < FAST.limitFrames, `the WAL held at most ${most} frames`);
  assert.ok(salts.size >= 3, 'the WAL restarted from its beginning');

  // A trickle of writes (as the clients' last-use stamps make) is not steady writing: the worker still stops, after
  // quietMs by the checkpointer's ticks, which a loaded machine delays; so trickle until it has, within a minute.
  await writeSteadily(write, () => !checkpointer.active, 60_000, 1, 15);
  assert.equal(checkpointer.active, false, 'the worker stops once writing is no longer steady');
  assert.equal(autocheckpoint(db), 1000, 'and the writer checkpoints itself again');
  assert.deepEqual(warnings, []);
});

/** The nice value of each of this process's threads (Linux: /proc/self/task/<tid>/stat, field 19). */
const niceOf = (tid: string | number) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
const threadNiceValues = () => readdirSync('/proc/self/task').map(niceOf);

test('the worker thread runs at the configured nice value, the rest of the process at its own', { skip: process.platform !== 'linux' }, async (t) => {
  const { db, file, write } = writer(t);
  const own = niceOf(process.pid);
  assert.ok(own < 7 && !threadNiceValues().includes(7), 'no thread at nice 7 before the worker starts');
  const checkpointer = new WalCheckpointer(db, file, { ...FAST, workerNice: 7, warn: () => {} });
  t.after(() => checkpointer.close());
  await writeSteadily(write, () => checkpointer.active);
  const during = threadNiceValues();
  assert.equal(during.filter((n) => n === 7).length, 1, `one thread (the worker) at nice 7: ${during.join(' ')}`);
  assert.equal(during.filter((n) => n === own).length, during.length - 1, "every other thread at the process's own");
});

test('a worker that falls behind (a reader pins an old snapshot) gives the writer its checkpoints back past the limit', async (t) => {
  const { db, file, write } = writer(t);
  const checkpointer = new WalCheckpointer(db, file, { ...FAST, limitFrames: 600, warn: () => {} });
  t.after(() => checkpointer.close());
  await writeSteadily(write, () => checkpointer.active);

  // A read transaction left open: no checkpoint can copy past its snapshot, so the WAL only grows.
  const reader = new Database(file);
  t.after(() => reader.close());
  reader.exec('begin');
  reader.prepare('select count(*) from rows').get();
  const index = walIndexReader(file);
  t.after(() => index.close());
  await writeSteadily(write, () => autocheckpoint(db) === 1000);
  assert.ok(index.read()!.frames >= 600, 'the writer got its checkpoints back only once the WAL passed the limit');

  // The reader lets go; the writer's own checkpoint and restart bring the WAL down, then the worker takes over again.
  reader.exec('commit');
  await writeSteadily(write, () => autocheckpoint(db) === 0);
  assert.ok(index.read()!.frames < 600);
  assert.equal(checkpointer.active, true);
});

test('a worker that fails hands checkpoints back to the writer for good, with a warning', async (t) => {
  const { db, file, write } = writer(t);
  // A worker that starts, reports ready, then dies at its first pass.
  const { checkpointer, warnings } = withWorker(db, file, `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', () => { throw new Error('disk on fire'); });
    parentPort.postMessage({ ready: true });`);
  t.after(() => checkpointer.close());
  await writeSteadily(write, () => warnings.length > 0);
  assert.match(warnings[0]!, /WAL checkpoint worker failed; SQLite checkpoints on the writer again/);
  assert.equal(autocheckpoint(db), 1000);
  await writeSteadily(write, () => true);
  for (let i = 0; i < 50; i++) {
    write(20);
    await sleep(2);
  }
  assert.equal(checkpointer.active, false, 'no second worker');
  assert.equal(warnings.length, 1);
});

test('closing stops the worker and its connection: the last connection to close removes the WAL', async (t) => {
  const { db, file, write } = writer(t);
  const checkpointer = new WalCheckpointer(db, file, { ...FAST, warn: () => {} });
  await writeSteadily(write, () => checkpointer.active);
  await checkpointer.close();
  assert.equal(checkpointer.active, false);
  assert.equal(autocheckpoint(db), 1000);
  db.close();
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(`${file}-wal`), false, 'no connection left open on the file (the worker closed its own)');
});

test('frames written between two looks count a restarted WAL as grown to the checkpoint size first', () => {
  const at = (frames: number, salt = 1) => ({ frames, backfilled: 0, salt });
  assert.equal(framesWritten(undefined, at(700), 1000), 0, 'nothing to compare with yet');
  assert.equal(framesWritten(at(200), at(700), 1000), 500);
  assert.equal(framesWritten(at(700), at(700), 1000), 0);
  // 700 → (checkpoint at 1,000, restart) → 300: at least 300 + 300 frames.
  assert.equal(framesWritten(at(700), at(300, 2), 1000), 600);
  assert.equal(framesWritten(at(1500), at(10, 2), 1000), 10, 'past the checkpoint size already: only what follows the restart is certain');
});

test('a worker stopped before it reported ready does not turn the writer\'s checkpoints off afterwards', async (t) => {
  const { db, file, write } = writer(t);
  // A worker slow to start and slow to stop: it reports ready while it is being stopped (then gets terminated).
  const { checkpointer, warnings } = withWorker(db, file, `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', () => {});
    setTimeout(() => parentPort.postMessage({ ready: true }), 150);`);
  // Steady writes until the worker is started (not yet ready), then close at once.
  for (let i = 0; i < 200 && !checkpointer.hasWorker; i++) {
    write(20);
    await sleep(2);
  }
  assert.equal(checkpointer.hasWorker, true, 'the worker was started');
  await checkpointer.close();
  await sleep(300);
  assert.equal(checkpointer.active, false);
  assert.equal(autocheckpoint(db), 1000, "the writer's own checkpoints stay on");
  assert.deepEqual(warnings, []);
});
