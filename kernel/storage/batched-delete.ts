/**
 * Deleting many rows without holding the database: `DELETE … WHERE key IN (SELECT key … WHERE <predicate> LIMIT n)`
 * again and again until a batch comes back short, each batch its own statement (so its own short transaction), and
 * the database and the event loop free between batches. On SQLite the one writer connection is synchronous: a single
 * DELETE of a million rows holds it — and with it every request — for seconds, while a batch sized to a few
 * milliseconds lets the requests that arrived meanwhile through before the next one. The same SQL runs on
 * PostgreSQL, which has no `DELETE … LIMIT`; there a short batch keeps row locks and each transaction small.
 */
import type { Knex } from 'knex';

/** One kind of row to delete: the rows of `table` that `where` selects, deleted by `key` (a unique column). */
export interface PurgeDeletion {
  table: string;
  /** The primary key (or another unique, not-null column) the batches delete by. */
  key: string;
  /** Narrows a query on `table` to the rows to delete; it should match an index, or every batch walks the table. */
  where(query: Knex.QueryBuilder): void;
}

export interface BatchOptions {
  /** Checked before each batch: an aborted signal ends the deletion with an error (rows deleted so far stay deleted). */
  signal?: AbortSignal;
  /** Called after each batch with the rows it deleted. */
  onBatch?(deleted: number): void;
  /** How long one batch should hold the database, in ms: the batch size follows the time batches take. */
  budgetMs?: number;
  /** Rows in the first batch, and the bounds of the batch size. */
  firstBatch?: number;
  minBatch?: number;
  maxBatch?: number;
  /** Milliseconds between batches with the database released (0: the next turn of the event loop). */
  pauseMs?: number;
}

export interface BatchedDeleteResult {
  deleted: number;
  batches: number;
}

/**
 * SQLite has one writer per file, and a writer that finds it taken (the server, while `authserver purge` runs in
 * another process) sleeps in SQLite's busy handler — 1, 2, 5, 10, 15, 20, 25 ms… between tries — with its event
 * loop stopped. A purge that took the lock back the moment it let go could keep a server waiting through many of
 * those sleeps (measured: over a second); released for 10 ms after each batch of about 4, the writer's next try
 * falls inside the pause, so it waits about one batch (docs/performance.md, Scale).
 */
const SQLITE_PAUSE_MS = 10;

/**
 * On SQLite a batch runs on the event loop: a few milliseconds is what a request arriving during a purge waits at
 * most behind one. The size follows the time batches actually take, so that holds on a slow disk as on a fast one.
 * On PostgreSQL a batch only waits for the server (the event loop is free meanwhile): it may take longer, which keeps
 * the round trips per row low, while each transaction and its row locks stay small.
 */
export const BATCH_DEFAULTS = {
  synchronous: { budgetMs: 4, firstBatch: 200, minBatch: 20, maxBatch: 2000, pauseMs: SQLITE_PAUSE_MS },
  asynchronous: { budgetMs: 100, firstBatch: 500, minBatch: 100, maxBatch: 10_000, pauseMs: 0 },
} as const;

/** Whether the driver's queries run on the event loop (better-sqlite3). */
const synchronousDriver = (db: Knex) => (db.client as { driverName?: string }).driverName === 'better-sqlite3';

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deletes what `deletion` selects, batch by batch; resolves with the rows deleted and the batches it took. */
export async function deleteInBatches(db: Knex, deletion: PurgeDeletion, options: BatchOptions = {}): Promise<BatchedDeleteResult> {
  const defaults = synchronousDriver(db) ? BATCH_DEFAULTS.synchronous : BATCH_DEFAULTS.asynchronous;
  const { budgetMs, firstBatch, minBatch, maxBatch, pauseMs } = { ...defaults, ...options };
  let size = Math.min(maxBatch, Math.max(minBatch, firstBatch));
  let deleted = 0;
  let batches = 0;
  for (;;) {
    if (options.signal?.aborted) throw new Error(`timed out after deleting ${deleted} row(s) from ${deletion.table}`);
    const keys = db(deletion.table).select(deletion.key).where((q) => deletion.where(q)).limit(size);
    const started = performance.now();
    const count = await db(deletion.table).whereIn(deletion.key, keys).delete();
    const took = performance.now() - started;
    deleted += count;
    batches++;
    options.onBatch?.(count);
    if (count < size) return { deleted, batches };
    if (took < budgetMs / 2) size = Math.min(maxBatch, size * 2);
    else if (took > budgetMs) size = Math.max(minBatch, Math.floor(size / 2));
    await (pauseMs > 0 ? sleep(pauseMs) : yieldToEventLoop());
  }
}
