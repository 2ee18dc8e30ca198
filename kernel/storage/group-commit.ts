import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';
import { afterReads } from '../loop-turn.js';
import { insertRows } from './raw-statements.js';

/**
 * Group commit (design §6): rows written during one event-loop turn go to the database in one transaction, and
 * every writer's promise resolves only after that transaction committed — so a response sent after `await write()`
 * never describes a row that a crash could lose, and a burst of tokens costs one fsync, not one each. The batch is
 * flushed once the loop has read the turn's requests (`afterReads`), so the responses it releases go out at once.
 */
export class GroupCommitWriter<Row extends Record<string, unknown>> {
  #pending: { row: Row; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;
  #inflight = new Set<Promise<void>>();

  constructor(
    private readonly db: () => Knex,
    private readonly dialect: () => Dialect,
    private readonly table: string,
  ) {}

  write(row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
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
    const written = insertRows(this.db(), this.dialect(), this.table, batch.map((b) => b.row));
    const commit = written
      .then(
        () => batch.forEach((b) => b.resolve()),
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
