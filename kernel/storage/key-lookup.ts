import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';

/**
 * Whether a row with `column = value` exists, for a lookup on every request of a hot path (the jti denylist on
 * every introspection). knex's builder compiles the SQL, runs it through its runner and emits its query events on
 * each call; for one indexed lookup that costs several times the lookup itself. This runs one fixed statement on a
 * connection taken from (and returned to) knex's pool, so it still waits its turn behind a transaction and sees
 * exactly what a builder query would: nothing is cached, the answer is the database's.
 */
export function existsLookup(db: () => Knex, dialect: () => Dialect, table: string, column: string): (value: string) => Promise<boolean> {
  const sqlite = `select 1 from "${table}" where "${column}" = ? limit 1`;
  const postgres = `select 1 from "${table}" where "${column}" = $1 limit 1`;
  return async (value) => {
    const client = db().client as Knex.Client;
    const connection = await client.acquireConnection();
    try {
      if (dialect().name === 'sqlite' && typeof connection.prepare === 'function') {
        // better-sqlite3: synchronous; storage-sqlite keeps the statement prepared.
        return connection.prepare(sqlite).get(value) !== undefined;
      }
      if (dialect().name === 'postgres' && typeof connection.query === 'function') {
        const result = (await connection.query({ text: postgres, values: [value] })) as { rowCount: number | null };
        return (result.rowCount ?? 0) > 0;
      }
    } finally {
      await client.releaseConnection(connection);
    }
    // Another driver: the builder, which works everywhere.
    return (await db()(table).where(column, value).first(column)) !== undefined;
  };
}
