/**
 * Long reads off the event loop. better-sqlite3 is synchronous: a query that scans a large table runs on the event
 * loop and on the one writer connection, and every request waits until it ends. Reads handed here run on a worker
 * thread with a connection of its own to the same file (WAL: a reader sees the last committed transaction and
 * neither waits for nor blocks the writer), so the server answers requests meanwhile. On PostgreSQL (an
 * asynchronous driver, a pool) and on an in-memory SQLite database (nothing else can open it) a read is the query
 * itself.
 *
 * One worker, started at the first read and stopped after `idleMs` without one (a thread costs several MiB); reads
 * queue in its message port, at most `maxPending` at once. A worker that dies fails the reads it had with a 503
 * problem, and the next read starts a new one.
 */
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import { ProblemError } from '../errors.js';

/** What a worker opens: the driver module (a resolved path, so the worker loads the copy the server uses) and the file. */
export interface WorkerDatabase {
  driver: string;
  filename: string;
}

export interface OffLoopReaderOptions {
  /** Reads waiting or running at once; one more is refused (503) rather than queued without bound. */
  maxPending: number;
  /** The worker stops after this long without a read. */
  idleMs: number;
  /** The worker's program (CommonJS, evaluated); the default answers reads. */
  workerSource: string;
  /** Told each time a worker starts (the server logs it). */
  onStart?: () => void;
}

/**
 * The worker: one connection in `query_only` mode, a statement per distinct SQL text (bounded), the rows of each read
 * posted back. Evaluated source rather than a file: it loads the same way from the TypeScript sources (tsx), from
 * dist/ and from the esbuild bundle, where a file next to this module would not exist.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.filename, { fileMustExist: true });
db.pragma('query_only = ON');
db.pragma('busy_timeout = 5000');
const statements = new Map();
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    let statement = statements.get(message.sql);
    if (!statement) {
      statement = db.prepare(message.sql);
      if (statements.size < 200) statements.set(message.sql, statement);
    }
    const bindings = message.bindings.map((b) => (ArrayBuffer.isView(b) ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : b));
    parentPort.postMessage({ id: message.id, rows: statement.all(...bindings) });
  } catch (err) {
    parentPort.postMessage({ id: message.id, error: String((err && err.message) || err) });
  }
});
`;

export const OFF_LOOP_DEFAULTS: Omit<OffLoopReaderOptions, 'workerSource'> = { maxPending: 64, idleMs: 60_000 };

type WorkerAnswer = { id: number; rows: unknown[] } | { id: number; error: string };

interface PendingRead {
  resolve(rows: unknown[]): void;
  reject(error: Error): void;
}

/** better-sqlite3 binds neither dates nor booleans; knex's driver converts them the same way before a query. */
const sqliteBinding = (value: unknown) => (value instanceof Date ? value.valueOf() : typeof value === 'boolean' ? Number(value) : value);

export class OffLoopReader {
  readonly #options: OffLoopReaderOptions;
  #worker: Worker | undefined;
  #pending = new Map<number, PendingRead>();
  #nextId = 1;
  #idle: NodeJS.Timeout | undefined;
  #closed = false;
  /** Workers started so far; for tests and diagnostics. */
  started = 0;

  constructor(
    private readonly database: WorkerDatabase,
    options: Partial<OffLoopReaderOptions> = {},
  ) {
    this.#options = { ...OFF_LOOP_DEFAULTS, workerSource: WORKER_SOURCE, ...options };
  }

  /** The worker thread, while one runs. */
  get thread(): Worker | undefined {
    return this.#worker;
  }

  /** The rows `sql` selects with `bindings` (positional `?`), read on the worker. */
  read(sql: string, bindings: readonly unknown[]): Promise<unknown[]> {
    if (this.#closed) return Promise.reject(new Error('the off-loop reader is closed (the server is stopping)'));
    if (this.#pending.size >= this.#options.maxPending) {
      return Promise.reject(
        new ProblemError(503, 'Service Unavailable', `${this.#pending.size} long database reads are already under way; try again shortly`, {
          headers: { 'Retry-After': '1' },
        }),
      );
    }
    const worker = this.#worker ?? this.#start();
    clearTimeout(this.#idle);
    const id = this.#nextId++;
    return new Promise<unknown[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A read under way keeps the process alive (a CLI command awaiting it); an idle worker never does.
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, sql, bindings: bindings.map(sqliteBinding) });
    });
  }

  /** Stops the worker (its connection closes); reads still pending fail. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idle);
    await this.#stop('the server is stopping');
  }

  #start(): Worker {
    // No inherited node flags: the program is CommonJS whatever the process runs with (--input-type=module, a
    // TypeScript loader's --import), and it needs none of them.
    const worker = new Worker(this.#options.workerSource, { eval: true, workerData: this.database, execArgv: [] });
    this.started++;
    this.#options.onStart?.();
    this.#worker = worker;
    worker.unref();
    worker.on('message', (answer: WorkerAnswer) => this.#answer(answer));
    // 'error' (an uncaught exception, an out-of-memory abort) is followed by 'exit': the reads fail there.
    worker.on('error', (err) => this.#lost(worker, err.message));
    worker.on('exit', (code) => this.#lost(worker, `it exited with code ${code}`));
    return worker;
  }

  #answer(answer: WorkerAnswer): void {
    const pending = this.#pending.get(answer.id);
    if (!pending) return;
    this.#pending.delete(answer.id);
    if ('error' in answer) pending.reject(new Error(answer.error));
    else pending.resolve(answer.rows);
    if (this.#pending.size === 0) this.#settle();
  }

  /** Nothing pending: the worker no longer keeps the process alive, and stops if no read comes for a while. */
  #settle(): void {
    const worker = this.#worker;
    if (!worker) return;
    worker.unref();
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => void this.#stop('idle'), this.#options.idleMs);
    this.#idle.unref();
  }

  /** The worker died: its reads fail now, and the next read starts a new one. */
  #lost(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    this.#failPending(
      new ProblemError(503, 'Service Unavailable', `the worker thread reading the database stopped before answering (${reason}); try again`),
    );
  }

  #failPending(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const read of pending) read.reject(error);
  }

  async #stop(reason: string): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    this.#failPending(new Error(`the off-loop reader stopped (${reason}) before the read finished`));
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    // A worker busy with a long read does not see 'close' until it ends: it is ended.
    const timer = setTimeout(() => void worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
  }
}

/** knex.raw answers with the rows on SQLite and with pg's result object (rows in `.rows`) on PostgreSQL. */
const rowsOf = (result: unknown): unknown[] => (Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []));

/** Each database's reader, by its knex client: a query knows its client, so `readRows` needs nothing but the query. */
const readers = new WeakMap<object, OffLoopReader>();

/** From now on, long reads of queries built on `db` go to `reader`. */
export function attachOffLoopReader(db: Knex, reader: OffLoopReader): void {
  readers.set(db.client as object, reader);
}

/**
 * The kernel's long-read service (also `runtime.readRows`): the rows of `query`, read off the event loop when its
 * database has a worker (SQLite files), awaited as usual otherwise (PostgreSQL; a query inside a transaction, whose
 * client is the transaction's, so it sees the transaction's own writes). For a select (a query builder or
 * `knex.raw`); knex's post-processing of `first()` or `pluck()` is not applied, the rows come back as the driver
 * returns them.
 */
export async function readRows<T = Record<string, unknown>>(query: Knex.QueryBuilder | Knex.Raw): Promise<T[]> {
  const reader = readers.get((query as unknown as { client: object }).client);
  if (!reader) return rowsOf(await query) as T[];
  const { sql, bindings } = query.toSQL().toNative();
  return (await reader.read(sql, bindings as readonly unknown[])) as T[];
}
