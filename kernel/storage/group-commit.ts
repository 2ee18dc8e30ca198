import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { afterReads } from '../loop-turn.js';
import { insertRows } from '../fast-path/driver-statements.js';

interface Pending<Row> {
  row: Row;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  during: (() => unknown) | undefined;
  result: unknown;
  failed: boolean;
}

/**
 * Group commit (design §6): rows written during one event-loop turn go to the database in one transaction, and
 * every writer's promise resolves only after that transaction committed — so a response sent after `await write()`
 * never describes a row that a crash could lose, and a burst of tokens costs one fsync, not one each. The batch is
 * flushed once the loop has read the turn's requests (`afterReads`), so the responses it releases go out at once.
 *
 * `write(row, during)` runs `during` once the batch holding the row is on its way to the database (PostgreSQL: its
 * INSERT written to the connection) and resolves with its result after the commit: work that must not be seen
 * before the row is durable (signing the token the row records) is done while the database commits, not after. With
 * PostgreSQL that is CPU the server would otherwise spend idle, waiting for the commit (docs/performance.md); with
 * `server.fastPaths` off the rows go through knex's `batchInsert` and `during` runs once they are in. If `during`
 * throws, that writer is rejected with its error once the batch has committed; the row stays (it describes a token
 * nobody received, as a response lost on the way would). If the insert fails before it is sent, `during` does not
 * run.
 */
export class GroupCommitWriter<Row extends Record<string, unknown>> {
  #pending: Pending<Row>[] = [];
  #scheduled = false;
  #inflight = new Set<Promise<void>>();

  constructor(
    private readonly db: () => Knex,
    private readonly dialect: () => Dialect,
    private readonly table: string,
  ) {}

  write(row: Row): Promise<void>;
  write<T>(row: Row, during: () => T): Promise<T>;
  write(row: Row, during?: () => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject, during, result: undefined, failed: false });
      if (!this.#scheduled) {
        this.#scheduled = true;
        afterReads(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    const written = insertRows(this.db(), this.dialect(), this.table, batch.map((b) => b.row), () => runDuring(batch));
    const commit = written
      .then(
        () => batch.forEach((b) => (b.failed ? b.reject(b.result) : b.resolve(b.result))),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => this.#inflight.delete(commit));
    this.#inflight.add(commit);
  }

  /** Resolves once everything written so far is committed (or failed). */
  async drain(): Promise<void> {
    if (this.#pending.length) this.#flush();
    await Promise.allSettled([...this.#inflight]);
  }
}

function runDuring(batch: readonly Pending<unknown>[]): void {
  for (const b of batch) {
    if (b.during === undefined) continue;
    try {
      b.result = b.during();
    } catch (err) {
      b.failed = true;
      b.result = err;
    }
  }
}
