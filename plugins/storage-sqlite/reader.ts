import { createRequire } from 'node:module';
import type { SyncReader } from 'authplane';

interface Statement {
  get(...params: unknown[]): unknown;
}
interface Database {
  prepare(sql: string): Statement;
  pragma(sql: string): unknown;
  close(): void;
}

/**
 * A connection of its own for the kernel's point reads (the jti denylist on every introspection). In WAL mode a
 * reader sees the last committed transaction and never blocks the writer, so a read here answers exactly what a
 * pooled query would, without waiting for the pool's single connection or leaving the event loop turn.
 * `query_only` makes any write through it an error.
 */
export function openReader(filename: string): SyncReader {
  // knex has loaded better-sqlite3 already for the pool; this only takes the same module.
  const BetterSqlite3 = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options: object) => Database;
  const db = new BetterSqlite3(filename, { fileMustExist: true });
  db.pragma('query_only = ON');
  db.pragma('busy_timeout = 5000');
  const statements = new Map<string, Statement>();
  return {
    get(sql, params) {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement.get(...params);
    },
    close: () => db.close(),
  };
}
