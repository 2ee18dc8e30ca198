/**
 * knex hands better-sqlite3 every query as SQL text and better-sqlite3 compiles it anew each time; on the token
 * path that compilation cost more than running the statements (docs/performance.md). The connection keeps the most
 * recently used prepared statements by SQL text instead (bindings vary, text repeats). A fast path: installed only
 * with `server.fastPaths`. Invariants, each pinned by test/plugins/storage-sqlite/statement-cache.test.ts against
 * the knex and better-sqlite3 in use: knex prepares every query through the connection's own `prepare` with the
 * values bound apart, and runs a statement to completion (`all`/`run`), never iterating one, so a shared statement
 * is never busy; it changes a statement's mode only through `safeIntegers`, when a query asks for it (ours never
 * do). A schema change (DDL) empties the cache, so no statement compiled against an older schema is
 * reused.
 */

interface Preparing {
  prepare(sql: string): unknown;
}

/** Distinct statements kept; batched INSERTs of different sizes are distinct texts, hence more than a handful. */
const CACHED_STATEMENTS = 500;
const DDL = /^\s*(create|alter|drop)\b/i;

export function cachePreparedStatements(connection: Preparing, size = CACHED_STATEMENTS): void {
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, unknown>();
  connection.prepare = (sql: string) => {
    const cached = cache.get(sql);
    if (cached !== undefined) return cached;
    const statement = prepare(sql);
    if (DDL.test(sql)) {
      cache.clear();
      return statement;
    }
    // Oldest first out: a hot statement is re-prepared at most once per `size` distinct others.
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    cache.set(sql, statement);
    return statement;
  };
}
