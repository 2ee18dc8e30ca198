/**
 * `authserver export` / `import`: every table of the migrated database and every stored signing key as NDJSON, so a
 * deployment moves between SQLite and PostgreSQL (either way) keeping its clients, users, grants, refresh tokens and
 * keys. Line 1 is a header (format version, the migrations applied, each table's columns); then one line per row
 * (`{"t": table, "r": {…}}`) and per key (`{"k": {…}}`); the last line (`{"end": …}`) counts them, so a cut-off file
 * is refused instead of half-loaded. Values are written in a form both drivers read back (below), not as either
 * driver returns them.
 */
import type { JsonWebKey } from 'node:crypto';
import type { Knex } from 'knex';
import { BootError } from '../errors.js';
import type { KeyStore, StoredKey } from '../contracts.js';
import type { Dialect } from './dialect.js';
import { tableShapes, type ColumnKind, type TableShape } from './introspect.js';

export const EXPORT_FORMAT = 'authplane-export';
export const EXPORT_VERSION = 1;
/** Rows read or written per statement; small enough for SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH_ROWS = 500;
const MAX_PARAMETERS = 30_000;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: number;
  exported_at: string;
  driver: 'sqlite' | 'postgres';
  /** The migrations applied to the source, by name: the schema the rows fit. */
  migrations: string[];
  tables: { name: string; columns: { name: string; kind: ColumnKind }[] }[];
}

export interface TransferSummary {
  rows: Record<string, number>;
  keys: number;
  /** Keys whose private half never leaves their store (Vault Transit): not in the file; the target uses the same store. */
  keysLeftInStore?: number;
}

interface KeyLine {
  kid: string;
  alg: 'ES256';
  created_at: string;
  retired_at?: string;
  private_jwk: JsonWebKey;
}

type Row = Record<string, unknown>;

function usage(message: string): BootError {
  return new BootError('AP_ERR_CLI_USAGE', message);
}

async function appliedMigrations(db: Knex | Knex.Transaction): Promise<string[]> {
  return (await db('knex_migrations').orderBy('id').pluck('name')) as string[];
}

/** A value as the file carries it: what both drivers accept back, whichever wrote it. */
function portable(value: unknown, kind: ColumnKind): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  if (value instanceof Date) return value.toISOString();
  switch (kind) {
    case 'integer':
      // PostgreSQL's bigint arrives as a string; a safe integer travels as a JSON number.
      if (typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
      return value;
    case 'number':
      return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
    case 'boolean':
      return typeof value === 'number' ? value !== 0 : value;
    case 'json':
      return typeof value === 'object' ? JSON.stringify(value) : value;
    default:
      return value;
  }
}

/** A file value as the target driver takes it for a column of this kind. */
function native(value: unknown, kind: ColumnKind, dialect: Dialect['name']): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && '$base64' in (value as object)) return Buffer.from(String((value as { $base64: unknown }).$base64), 'base64');
  if (kind === 'boolean') {
    if (dialect === 'sqlite') return value === true ? 1 : value === false ? 0 : value;
    return typeof value === 'number' ? value !== 0 : value;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/**
 * Writes the header, every row of every table and every stored key through `write` (which should wait while its
 * destination is full). The rows come from one read-only snapshot, a batch at a time.
 */
export async function exportDatabase(
  db: Knex,
  dialect: Dialect,
  keyStore: KeyStore,
  write: (line: string) => Promise<void>,
): Promise<TransferSummary> {
  const loaded = await keyStore.load();
  const keys = loaded.filter((key): key is StoredKey => 'privateJwk' in key);
  const keysLeftInStore = loaded.length - keys.length;
  return db.transaction(async (trx) => {
    // One snapshot for the whole file, so rows written while it runs cannot tear a family from its tokens.
    if (dialect.name === 'postgres') await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const shapes = await tableShapes(trx, dialect);
    const header: ExportHeader = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exported_at: new Date().toISOString(),
      driver: dialect.name,
      migrations: await appliedMigrations(trx),
      tables: shapes.map(({ name, columns }) => ({ name, columns })),
    };
    await write(JSON.stringify(header));
    const rows: Record<string, number> = {};
    for (const shape of shapes) rows[shape.name] = await exportTable(trx, shape, write);
    for (const key of keys) {
      const line: KeyLine = {
        kid: key.kid,
        alg: key.alg,
        created_at: key.createdAt.toISOString(),
        ...(key.retiredAt ? { retired_at: key.retiredAt.toISOString() } : {}),
        private_jwk: key.privateJwk,
      };
      await write(JSON.stringify({ k: line }));
    }
    await write(JSON.stringify({ end: { rows, keys: keys.length } }));
    return { rows, keys: keys.length, ...(keysLeftInStore ? { keysLeftInStore } : {}) };
  });
}

async function exportTable(trx: Knex.Transaction, shape: TableShape, write: (line: string) => Promise<void>): Promise<number> {
  // Inside one snapshot offsets are stable; the order only has to be total.
  const order = (shape.primaryKey.length ? shape.primaryKey : shape.columns.map((c) => c.name)).map((column) => ({ column }));
  let count = 0;
  for (let offset = 0; ; offset += BATCH_ROWS) {
    const batch = (await trx(shape.name).select('*').orderBy(order).limit(BATCH_ROWS).offset(offset)) as Row[];
    for (const row of batch) {
      const out: Row = {};
      for (const { name, kind } of shape.columns) out[name] = portable(row[name], kind);
      await write(JSON.stringify({ t: shape.name, r: out }));
    }
    count += batch.length;
    if (batch.length < BATCH_ROWS) return count;
  }
}

/** The owner of a migration (`oauth/0001_oauth_core` → `oauth`): one plugin's schema. */
const ownerOf = (migration: string) => migration.slice(0, migration.indexOf('/'));

/**
 * Refuses a file whose rows do not fit this database's schema. The target may have migrations of owners the source
 * did not have (a plugin enabled only here: its tables stay empty), never another version of a shared owner's.
 */
function checkSchema(header: ExportHeader, applied: string[], shapes: TableShape[]): void {
  const here = new Set(applied);
  const there = new Set(header.migrations);
  const missing = header.migrations.filter((m) => !here.has(m));
  if (missing.length) {
    throw usage(`the export has migrations this server does not apply: ${missing.join(', ')} (import with the same version and plugins as the source)`);
  }
  const sourceOwners = new Set(header.migrations.map(ownerOf));
  const newer = applied.filter((m) => !there.has(m) && sourceOwners.has(ownerOf(m)));
  if (newer.length) {
    throw usage(`this server's schema is newer than the export's: ${newer.join(', ')} (run \`authserver migrate\` on the source with this version, then export again)`);
  }
  const byName = new Map(shapes.map((s) => [s.name, s]));
  for (const table of header.tables) {
    const target = byName.get(table.name);
    if (!target) throw usage(`the export has table '${table.name}', which this server's schema does not`);
    const columns = new Set(target.columns.map((c) => c.name));
    const unknown = table.columns.filter((c) => !columns.has(c.name)).map((c) => c.name);
    if (unknown.length) throw usage(`table '${table.name}': this server has no column(s) ${unknown.join(', ')}`);
  }
}

function parseLine(line: string, number: number): Record<string, unknown> {
  try {
    const value = JSON.parse(line) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below with the line number
  }
  throw usage(`line ${number} of the export is not a JSON object`);
}

function parseHeader(line: string | undefined): ExportHeader {
  if (line === undefined) throw usage('the export is empty');
  const header = parseLine(line, 1) as Partial<ExportHeader>;
  if (header.format !== EXPORT_FORMAT) throw usage(`line 1 is not an AuthPlane export header (format '${EXPORT_FORMAT}')`);
  if (header.version !== EXPORT_VERSION) throw usage(`export format version ${String(header.version)} is not supported (this server reads version ${EXPORT_VERSION})`);
  if (!Array.isArray(header.migrations) || !Array.isArray(header.tables)) throw usage('the export header lacks its migrations or tables');
  return header as ExportHeader;
}

/**
 * Loads an export into this (migrated) database in one transaction, then saves its keys through the key store.
 * A target with rows in any table, or with keys the export does not have, is refused unless `force` (which empties
 * the tables first, in the same transaction). A file that ends before its `end` line, or whose counts disagree, rolls
 * back.
 */
export async function importDatabase(
  db: Knex,
  dialect: Dialect,
  keyStore: KeyStore,
  lines: AsyncIterable<string>,
  options: { force: boolean },
): Promise<TransferSummary> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  const header = parseHeader(first.done ? undefined : first.value);
  const shapes = await tableShapes(db, dialect);
  checkSchema(header, await appliedMigrations(db), shapes);
  const kinds = new Map(shapes.map((s) => [s.name, new Map(s.columns.map((c) => [c.name, c.kind]))]));
  const exported = new Set(header.tables.map((t) => t.name));

  if (!options.force) {
    const busy: string[] = [];
    for (const { name } of shapes) {
      const [{ n }] = (await db(name).count({ n: '*' })) as [{ n: number | string }];
      if (Number(n) > 0) busy.push(`${name} (${n})`);
    }
    if (busy.length) throw usage(`the target database is not empty: ${busy.join(', ')} (import into a new database, or pass --force to replace its rows)`);
    const stored = await keyStore.load();
    if (stored.length) throw usage(`the target key store already has ${stored.length} key(s) (start from an empty one, or pass --force to add the export's keys beside them)`);
  }

  const keys: KeyLine[] = [];
  const summary = await db.transaction(async (trx) => {
    if (options.force) for (const { name } of shapes) if (exported.has(name)) await trx(name).delete();
    const rows: Record<string, number> = Object.fromEntries(header.tables.map((t) => [t.name, 0]));
    let pending: { table: string; rows: Row[] } | undefined;
    const flush = async () => {
      if (!pending?.rows.length) return;
      const width = Object.keys(pending.rows[0]!).length || 1;
      const per = Math.max(1, Math.min(BATCH_ROWS, Math.floor(MAX_PARAMETERS / width)));
      for (let i = 0; i < pending.rows.length; i += per) await trx(pending.table).insert(pending.rows.slice(i, i + per));
      pending.rows = [];
    };
    let end: TransferSummary | undefined;
    for (let number = 2; ; number++) {
      const next = await iterator.next();
      if (next.done) break;
      if (next.value.trim() === '') continue;
      if (end) throw usage(`line ${number}: data after the export's end line`);
      const line = parseLine(next.value, number);
      if (typeof line.t === 'string') {
        const columns = kinds.get(line.t);
        if (!columns || !exported.has(line.t)) throw usage(`line ${number}: table '${line.t}' is not in the export's header`);
        const values: Row = {};
        for (const [name, value] of Object.entries((line.r ?? {}) as Row)) {
          const kind = columns.get(name);
          if (!kind) throw usage(`line ${number}: table '${line.t}' has no column '${name}'`);
          values[name] = native(value, kind, dialect.name);
        }
        if (pending?.table !== line.t) {
          await flush();
          pending = { table: line.t, rows: [] };
        }
        pending.rows.push(values);
        rows[line.t]!++;
        if (pending.rows.length >= BATCH_ROWS) await flush();
      } else if (line.k && typeof line.k === 'object') {
        keys.push(line.k as KeyLine);
      } else if (line.end && typeof line.end === 'object') {
        end = line.end as TransferSummary;
      } else {
        throw usage(`line ${number} is neither a row, a key nor the end line`);
      }
    }
    await flush();
    if (!end) throw usage('the export ends before its end line (cut off?): nothing was imported');
    for (const [table, count] of Object.entries(end.rows ?? {})) {
      if (rows[table] !== count) throw usage(`table '${table}': the export says ${count} row(s) but holds ${rows[table] ?? 0}: nothing was imported`);
    }
    if (end.keys !== keys.length) throw usage(`the export says ${end.keys} key(s) but holds ${keys.length}: nothing was imported`);
    return { rows, keys: keys.length };
  });

  // A key store outside the database (files, Vault) cannot join the transaction: keys follow the committed rows, and
  // a key the store already has (a database-backed store whose table came with the rows) is not written twice.
  const present = new Set((await keyStore.load()).map((k) => k.kid));
  for (const key of keys) {
    if (present.has(key.kid)) continue;
    const stored: StoredKey = {
      kid: key.kid,
      alg: key.alg,
      privateJwk: key.private_jwk,
      createdAt: new Date(key.created_at),
      ...(key.retired_at ? { retiredAt: new Date(key.retired_at) } : {}),
    };
    await keyStore.save(stored);
  }
  return summary;
}

