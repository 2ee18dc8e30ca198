/**
 * What tables and columns the migrated database has, read from the database itself (not a list kept by hand), so
 * `authserver export`/`import` move every table every enabled plugin's migrations created, including those added
 * later. Column types are reduced to the few kinds whose values the two drivers return differently.
 */
import type { Knex } from 'knex';
import type { Dialect } from './dialect.js';

/** knex's own bookkeeping: recreated by migrating the target, never copied. */
const KNEX_TABLES = new Set(['knex_migrations', 'knex_migrations_lock']);

/**
 * How a column's values travel: `integer` (PostgreSQL returns bigint as a string), `boolean` (SQLite stores 0/1),
 * `json` (PostgreSQL returns objects), `bytes` (Buffers, written as base64), `time` (Dates, written as ISO text),
 * `number`, `text`.
 */
export type ColumnKind = 'integer' | 'boolean' | 'json' | 'bytes' | 'time' | 'number' | 'text';

export interface TableShape {
  name: string;
  columns: { name: string; kind: ColumnKind }[];
  /** Primary-key columns, in key order; empty when the table has none (rows are then ordered by every column). */
  primaryKey: string[];
}

export function columnKind(declared: string): ColumnKind {
  const t = declared.toLowerCase();
  if (t.includes('bool')) return 'boolean';
  if (/\bint|integer|bigint|smallint/.test(t) && !t.includes('interval')) return 'integer';
  if (t.includes('json')) return 'json';
  if (/bytea|blob|binary/.test(t)) return 'bytes';
  if (/timestamp|datetime|^date$|^time/.test(t)) return 'time';
  if (/real|double|float|numeric|decimal/.test(t)) return 'number';
  return 'text';
}

export async function tableShapes(db: Knex | Knex.Transaction, dialect: Dialect): Promise<TableShape[]> {
  const names = dialect.name === 'sqlite' ? await sqliteTables(db) : await postgresTables(db);
  const shapes: TableShape[] = [];
  for (const name of names.filter((n) => !KNEX_TABLES.has(n)).sort()) {
    shapes.push(dialect.name === 'sqlite' ? await sqliteShape(db, name) : await postgresShape(db, name));
  }
  return shapes;
}

async function sqliteTables(db: Knex | Knex.Transaction): Promise<string[]> {
  const rows = (await db.raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`)) as { name: string }[];
  return rows.map((r) => r.name);
}

async function sqliteShape(db: Knex | Knex.Transaction, name: string): Promise<TableShape> {
  const info = (await db.raw(`PRAGMA table_info(${quote(name)})`)) as { name: string; type: string; pk: number }[];
  return {
    name,
    columns: info.map((c) => ({ name: c.name, kind: columnKind(c.type) })),
    primaryKey: info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
  };
}

async function postgresTables(db: Knex | Knex.Transaction): Promise<string[]> {
  const result = await db.raw(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  return (result.rows as { table_name: string }[]).map((r) => r.table_name);
}

async function postgresShape(db: Knex | Knex.Transaction, name: string): Promise<TableShape> {
  const columns = await db.raw(
    `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
    [name],
  );
  const key = await db.raw(
    `SELECT kcu.column_name FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu
         ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name
      WHERE tc.table_schema = current_schema() AND tc.table_name = ? AND tc.constraint_type = 'PRIMARY KEY'
      ORDER BY kcu.ordinal_position`,
    [name],
  );
  return {
    name,
    columns: (columns.rows as { column_name: string; data_type: string }[]).map((c) => ({ name: c.column_name, kind: columnKind(c.data_type) })),
    primaryKey: (key.rows as { column_name: string }[]).map((r) => r.column_name),
  };
}

/** An identifier quoted for both dialects (names come from the database's own catalog). */
export function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
