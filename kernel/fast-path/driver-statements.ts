import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { SyncReader } from '../contracts.js';
import type { Dialect } from '../storage/dialect.js';

/**
 * Fixed statements on the hot paths (the jti denylist on every introspection, the batched issuance and audit rows),
 * run on the driver's own connection rather than through knex's builder: for one indexed lookup or one small
 * INSERT, compiling the SQL, the runner and its query events cost several times the statement itself.
 * Invariant: the connection is taken from (and returned to) knex's pool with `client.acquireConnection()`, so a
 * statement still waits its turn behind a transaction and sees exactly what a builder query would
 * (test/storage/driver-statements.test.ts pins what this relies on in knex, better-sqlite3 and pg). Drivers other
 * than better-sqlite3 and pg, and every database opened with `server.fastPaths` off (`dialect.fastPaths`), go
 * through the builder.
 */

interface SqliteStatement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): unknown;
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  transaction(fn: () => void): () => void;
}
interface PgConnection {
  query(query: { name?: string; text: string; values?: unknown[] }): Promise<{ rowCount: number | null; rows?: unknown[] }>;
}

async function withConnection<T>(db: Knex, run: (connection: Record<string, unknown>) => Promise<T> | T): Promise<T> {
  const client = db.client as Knex.Client;
  const connection = (await client.acquireConnection()) as Record<string, unknown>;
  try {
    return await run(connection);
  } finally {
    await client.releaseConnection(connection);
  }
}

const isSqlite = (dialect: Dialect, c: Record<string, unknown>): c is Record<string, unknown> & SqliteConnection =>
  dialect.name === 'sqlite' && typeof c.prepare === 'function' && typeof c.transaction === 'function';
const isPg = (dialect: Dialect, c: Record<string, unknown>): c is Record<string, unknown> & PgConnection =>
  dialect.name === 'postgres' && typeof c.query === 'function' && typeof c.prepare !== 'function';

/**
 * The row with `column = value` (the `columns` asked for), or undefined. Nothing is cached: the answer is the
 * database's — from the driver's synchronous reader when it has one (it sees the committed rows, as a pooled
 * connection would), else the pool.
 */
export function rowLookup<T extends Record<string, unknown>>(
  db: () => Knex,
  dialect: () => Dialect,
  table: string,
  column: string,
  columns: readonly string[],
  reader: () => SyncReader | undefined = () => undefined,
): (value: string) => Promise<T | undefined> {
  const list = columns.map((c) => `"${c}"`).join(', ');
  const sqlite = `select ${list} from "${table}" where "${column}" = ? limit 1`;
  const name = createHash('sha256').update(list).digest('hex').slice(0, 12);
  const postgres = { name: `authplane_row_${table}_${column}_${name}`, text: `select ${list} from "${table}" where "${column}" = $1 limit 1` };
  const builder = async (value: string) => (await db()(table).where(column, value).first(...columns)) as T | undefined;
  return async (value) => {
    if (!dialect().fastPaths) return builder(value);
    const direct = reader();
    if (direct) return direct.get(dialect().name === 'sqlite' ? sqlite : postgres.text, [value]) as T | undefined;
    const answer = await withConnection(db(), async (connection) => {
      if (isSqlite(dialect(), connection)) return { row: connection.prepare(sqlite).get(value) as T | undefined };
      if (isPg(dialect(), connection)) return { row: (await connection.query(Object.assign({}, postgres, { values: [value] }))).rows?.[0] as T | undefined };
      return undefined;
    });
    return answer ? answer.row : builder(value);
  };
}

/** Whether a row with `column = value` exists (rowLookup, reading the one column). */
export function existsLookup(
  db: () => Knex,
  dialect: () => Dialect,
  table: string,
  column: string,
  reader: () => SyncReader | undefined = () => undefined,
): (value: string) => Promise<boolean> {
  const lookup = rowLookup(db, dialect, table, column, [column], reader);
  return async (value) => (await lookup(value)) !== undefined;
}

/** Rows per INSERT on PostgreSQL: its statements are prepared per row count, so the count of shapes stays small. */
const PG_ROWS_PER_STATEMENT = 50;

/**
 * Inserts `rows` (all with the same columns, as one writer produces them) atomically: on SQLite one prepared
 * single-row statement run per row inside one transaction; on PostgreSQL multi-row INSERTs, prepared once per
 * connection and row count, inside one transaction when there is more than one. `sent` is called once the rows are
 * on their way (PostgreSQL: the first statement written to the connection; SQLite, whose statements are synchronous:
 * once they ran), so a caller can work while the database does; never when the insert failed before that.
 */
export async function insertRows(
  db: Knex,
  dialect: Dialect,
  table: string,
  rows: readonly Record<string, unknown>[],
  sent?: () => void,
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const names = columns.map((c) => `"${c}"`).join(', ');
  const values = (row: Record<string, unknown>) => columns.map((c) => sqlValue(row[c]));
  const done = dialect.fastPaths && (await withConnection(db, async (connection) => {
    if (isSqlite(dialect, connection)) {
      const statement = connection.prepare(`insert into "${table}" (${names}) values (${columns.map(() => '?').join(', ')})`);
      if (rows.length === 1) statement.run(values(rows[0]!));
      else connection.transaction(() => rows.forEach((row) => statement.run(values(row))))();
      sent?.();
      return true;
    }
    if (isPg(dialect, connection)) {
      // Named per column list and row count (a statement name is one prepared shape per connection).
      const shape = statementShape(`${table} ${names}`);
      await inChunks(connection, rows, async (chunk, first) => {
        let n = 0;
        const tuples = chunk.map(() => `(${columns.map(() => `$${++n}`).join(', ')})`).join(', ');
        const inserted = connection.query({
          name: `authplane_insert_${shape}_${chunk.length}`,
          text: `insert into "${table}" (${names}) values ${tuples}`,
          values: chunk.flatMap(values),
        });
        if (first) sent?.();
        await inserted;
      });
      return true;
    }
    return false;
  }));
  if (!done) {
    await db.batchInsert(table, rows as Record<string, unknown>[], 100);
    sent?.();
  }
}

/** Rows per statement through knex: two bound parameters each, far below SQLite's limit on parameters per statement. */
const BUILDER_ROWS_PER_STATEMENT = 500;

/** knex.raw answers with the rows on SQLite and with pg's result object (rows in `.rows`) on PostgreSQL. */
const returnedRows = (result: unknown): { id: string }[] => (Array.isArray(result) ? result : ((result as { rows?: { id: string }[] }).rows ?? []));

/**
 * `insert into <table> (id, expires_at) … on conflict (id) do nothing returning id` for the rows; resolves with the ids
 * that were inserted, i.e. not there before. On the driver's connection when the dialect allows fast paths (SQLite:
 * a prepared single-row statement per row in one transaction; PostgreSQL: prepared statements of at most
 * PG_ROWS_PER_STATEMENT rows), else through knex.raw — written out, the same SQL on SQLite (≥ 3.35) and PostgreSQL.
 */
export async function insertNewIds(
  db: Knex,
  dialect: Dialect | undefined,
  table: string,
  rows: readonly { id: string; expiresAt: number }[],
): Promise<Set<string>> {
  const inserted = new Set<string>();
  if (rows.length === 0) return inserted;
  const done =
    dialect?.fastPaths === true &&
    (await withConnection(db, async (connection) => {
      if (isSqlite(dialect, connection)) {
        const statement = connection.prepare(`insert into "${table}" (id, expires_at) values (?, ?) on conflict (id) do nothing returning id`);
        const claim = (row: { id: string; expiresAt: number }) => {
          if (statement.get(row.id, row.expiresAt) !== undefined) inserted.add(row.id);
        };
        if (rows.length === 1) claim(rows[0]!);
        else connection.transaction(() => rows.forEach(claim))();
        return true;
      }
      if (isPg(dialect, connection)) {
        await inChunks(connection, rows, async (chunk) => {
          const tuples = chunk.map((_, n) => `($${2 * n + 1}, $${2 * n + 2})`).join(', ');
          const result = await connection.query({
            name: `authplane_claim_${statementShape(table)}_${chunk.length}`,
            text: `insert into "${table}" (id, expires_at) values ${tuples} on conflict (id) do nothing returning id`,
            values: chunk.flatMap((row) => [row.id, row.expiresAt]),
          });
          for (const row of (result.rows ?? []) as { id: string }[]) inserted.add(row.id);
        });
        return true;
      }
      return false;
    }));
  if (!done) {
    for (let i = 0; i < rows.length; i += BUILDER_ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + BUILDER_ROWS_PER_STATEMENT);
      const sql = `insert into "${table}" (id, expires_at) values ${chunk.map(() => '(?, ?)').join(', ')} on conflict (id) do nothing returning id`;
      for (const row of returnedRows(await db.raw(sql, chunk.flatMap((row) => [row.id, row.expiresAt])))) inserted.add(row.id);
    }
  }
  return inserted;
}

/** PostgreSQL: `run` per chunk of PG_ROWS_PER_STATEMENT rows, all in one transaction when there is more than one. */
async function inChunks<T>(connection: PgConnection, rows: readonly T[], run: (chunk: readonly T[], first: boolean) => Promise<void>): Promise<void> {
  const many = rows.length > PG_ROWS_PER_STATEMENT;
  if (many) await connection.query({ text: 'begin' });
  try {
    for (let i = 0; i < rows.length; i += PG_ROWS_PER_STATEMENT) await run(rows.slice(i, i + PG_ROWS_PER_STATEMENT), i === 0);
    if (many) await connection.query({ text: 'commit' });
  } catch (err) {
    if (many) await connection.query({ text: 'rollback' }).catch(() => {});
    throw err;
  }
}

const shapes = new Map<string, string>();
/** A short stable name per table and column list, hashed once rather than per batch. */
function statementShape(key: string): string {
  let shape = shapes.get(key);
  if (shape === undefined) shapes.set(key, (shape = createHash('sha256').update(key).digest('base64url').slice(0, 12)));
  return shape;
}

/** What both drivers bind: SQLite has no boolean, and an absent value is NULL. */
function sqlValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}
