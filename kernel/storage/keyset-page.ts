/**
 * Keyset paging for every admin list: `limit` and an opaque `cursor` in, a page of rows and the `next` cursor out.
 *
 * A page is `WHERE (k1, k2) < (?, ?) ORDER BY k1 DESC, k2 DESC LIMIT limit + 1` (or `>`/ASC), a range scan of an
 * index ending in the order's columns, whatever page it is: no OFFSET, so page 50,000 costs what page 1 does, and a
 * row inserted or deleted between two pages neither repeats nor hides another. The last key is unique in the list
 * (the row's id), so rows sharing a timestamp are still visited once each. Row-value comparison works on both
 * drivers (SQLite ≥ 3.15) and both plan it as an index range.
 *
 * The cursor is base64url JSON naming the list, a hash of the list's filters and the last row's keys, with a
 * checksum over all three: a cursor from another list, made with other filters, or edited is refused (400), not
 * silently applied to a query it was not made for. It is not a secret and not signed with a key: whoever holds one
 * is already an administrator who could ask for any page directly.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { badRequest } from '../errors.js';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;
/** The two parameters every paged list takes besides its own filters. */
export const PAGE_PARAMETERS = ['limit', 'cursor'] as const;

/** The longest cursor accepted: a few keys of at most a column's width, base64url-encoded. */
const MAX_CURSOR_LENGTH = 8192;
const CURSOR_VERSION = 1;

export type PageKeyValue = string | number;

/** One column of a list's order. */
export interface PageKey {
  /** The column, as the query names it (`created_at`, `t.issued_at`). */
  column: string;
  /** How the value is bound back: pg returns bigint columns as strings, the cursor keeps numbers as numbers. */
  type: 'number' | 'string';
  /** The property of a result row holding the value, when the query renames the column. */
  field?: string;
}

/** A list's order: the keys, most significant first, the last unique within the list. */
export interface PageOrder {
  /** The list's name, bound into its cursors ('clients', 'audit', …). */
  list: string;
  direction: 'asc' | 'desc';
  keys: readonly PageKey[];
}

/** The usual order of an admin list: by a creation time, the row's unique id breaking ties. */
export function creationOrder(list: string, options: { id?: string; direction?: 'asc' | 'desc'; time?: string } = {}): PageOrder {
  return {
    list,
    direction: options.direction ?? 'asc',
    keys: [
      { column: options.time ?? 'created_at', type: 'number' },
      { column: options.id ?? 'id', type: 'string' },
    ],
  };
}

/** A page with each row mapped (a stored row to its view). */
export function mapPage<From, To>(page: Page<From>, map: (row: From) => To): Page<To> {
  return { rows: page.rows.map(map), next: page.next };
}

/** A parsed `limit` and `cursor`, checked against the list and its filters. */
export interface PageRequest {
  readonly limit: number;
  /** The keys of the previous page's last row; absent on the first page. */
  readonly after?: readonly PageKeyValue[];
  /**
   * Values the first page fixed for the whole walk (a default time window ending "now"), carried by the cursor so
   * every later page uses the same ones.
   */
  readonly pinned?: Readonly<Record<string, PageKeyValue>>;
  /** @internal what the next cursor is bound to. */
  readonly binding: { list: string; filters: string };
}

export interface Page<Row> {
  rows: Row[];
  /** The cursor of the following page, or null when this is the last one. */
  next: string | null;
}

interface CursorBody {
  v: number;
  l: string;
  f: string;
  k: PageKeyValue[];
  p?: Record<string, PageKeyValue>;
  c: string;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('base64url').slice(0, length);

/** A stable hash of the filters a list was asked with: absent and undefined filters are the same. */
function filterHash(filters: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(filters)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return digest(JSON.stringify(entries), 22);
}

const checksum = (body: Omit<CursorBody, 'c'>) => digest(JSON.stringify([body.v, body.l, body.f, body.k, body.p ?? null]), 16);

function invalid(field: 'limit' | 'cursor', message: string): Error {
  return badRequest(`${field}: ${message}`, { errors: [{ field, message }] });
}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_PAGE_LIMIT;
  if (typeof raw !== 'string') throw invalid('limit', 'must be given once');
  const limit = /^\d{1,7}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_LIMIT)) throw invalid('limit', `must be an integer from 1 to ${MAX_PAGE_LIMIT}`);
  return limit;
}

function isKeyValue(value: unknown, key: PageKey): value is PageKeyValue {
  return key.type === 'number' ? typeof value === 'number' && Number.isSafeInteger(value) : typeof value === 'string' && value.length <= 2048;
}

function decodeCursor(raw: string, order: PageOrder, filters: string): CursorBody {
  const malformed = () => invalid('cursor', 'is not a cursor this server issued (pass the `next` value of a previous page unchanged)');
  if (raw.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) throw malformed();
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw malformed();
  }
  if (typeof body !== 'object' || body === null || body.v !== CURSOR_VERSION || typeof body.l !== 'string' || typeof body.f !== 'string') throw malformed();
  if (!Array.isArray(body.k) || body.k.length !== order.keys.length || !body.k.every((value, i) => isKeyValue(value, order.keys[i]!))) throw malformed();
  if (body.p !== undefined && (typeof body.p !== 'object' || body.p === null || Array.isArray(body.p))) throw malformed();
  if (typeof body.c !== 'string' || body.c !== checksum(body)) throw malformed();
  if (body.l !== order.list) throw invalid('cursor', `belongs to another list, not ${order.list}`);
  if (body.f !== filters) throw invalid('cursor', 'was made with other filters: repeat the filters of the first page with its cursors');
  return body;
}

/**
 * Reads `limit` (1..1000, default 100) and `cursor` from a list's raw query parameters. `filters` are the list's
 * own filters as parsed (the cursor must have been made with the same ones); `pinned` values the first page fixes
 * for the whole walk (a later page gets the first page's back in `PageRequest.pinned`). A bad value is a 400
 * problem naming `limit` or `cursor`.
 */
export function pageRequest(
  raw: { readonly limit?: unknown; readonly cursor?: unknown },
  order: PageOrder,
  filters: Readonly<Record<string, unknown>> = {},
  pinned?: Readonly<Record<string, PageKeyValue>>,
): PageRequest {
  const limit = parseLimit(raw.limit);
  const binding = { list: order.list, filters: filterHash(filters) };
  if (raw.cursor === undefined) return { limit, binding, ...(pinned ? { pinned } : {}) };
  if (typeof raw.cursor !== 'string') throw invalid('cursor', 'must be given once');
  const body = decodeCursor(raw.cursor, order, binding.filters);
  return { limit, binding, after: body.k, ...(body.p ? { pinned: body.p } : {}) };
}

/**
 * A list's whole query string: its own exact-match filters (each at most once, not empty) and the page. Any other
 * parameter is a 400 naming it, so a mistyped filter is not silently ignored (which would list everything).
 * `scope` binds the cursor to what the path names (`/admin/users/{id}/…`: the user), like a filter.
 */
export function pageQuery<Name extends string>(
  raw: Readonly<Record<string, unknown>>,
  order: PageOrder,
  filterNames: readonly Name[] = [],
  scope: Readonly<Record<string, string>> = {},
): { filters: Partial<Record<Name, string>>; page: PageRequest } {
  const known = [...filterNames, ...PAGE_PARAMETERS] as readonly string[];
  const filters: Partial<Record<Name, string>> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || (PAGE_PARAMETERS as readonly string[]).includes(name)) continue;
    const field = (message: string) => badRequest(`${name}: ${message}`, { errors: [{ field: name, message }] });
    if (!known.includes(name)) throw field(`is not a known parameter (use ${known.join(', ')})`);
    if (typeof value !== 'string') throw field('must be given once');
    if (value === '') throw field('must not be empty');
    filters[name as Name] = value;
  }
  return { filters, page: pageRequest(raw, order, { ...filters, ...scope }) };
}

function encodeCursor(page: PageRequest, keys: PageKeyValue[]): string {
  const body: Omit<CursorBody, 'c'> = { v: CURSOR_VERSION, l: page.binding.list, f: page.binding.filters, k: keys, ...(page.pinned ? { p: { ...page.pinned } } : {}) };
  return Buffer.from(JSON.stringify({ ...body, c: checksum(body) })).toString('base64url');
}

/**
 * The cursor resuming after a row with these keys, for a list that reads its page in parts (several queries in
 * sequence) and so builds `next` itself; `keys` follow the list's own order.
 */
export function cursorAt(page: PageRequest, keys: PageKeyValue[]): string {
  return encodeCursor(page, keys);
}

function keysOf(row: Record<string, unknown>, order: PageOrder): PageKeyValue[] {
  return order.keys.map((key) => {
    const value = row[key.field ?? key.column];
    return key.type === 'number' ? Number(value) : String(value);
  });
}

/** Rows fetched with one more than the limit → the page and its `next` cursor. */
function toPage<Row extends object>(rows: Row[], order: PageOrder, page: PageRequest): Page<Row> {
  if (rows.length <= page.limit) return { rows, next: null };
  const kept = rows.slice(0, page.limit);
  return { rows: kept, next: encodeCursor(page, keysOf(kept[kept.length - 1] as Record<string, unknown>, order)) };
}

/** Adds the page's keyset condition, order and limit (limit + 1: the extra row says whether a next page exists). */
function keysetQuery(query: Knex.QueryBuilder, order: PageOrder, page: PageRequest): Knex.QueryBuilder {
  const columns = order.keys.map((key) => key.column);
  if (page.after) {
    const comparison = order.direction === 'desc' ? '<' : '>';
    const list = (n: number) => Array.from({ length: n }, () => '??').join(', ');
    if (columns.length === 1) query.whereRaw(`?? ${comparison} ?`, [columns[0]!, page.after[0]!]);
    else query.whereRaw(`(${list(columns.length)}) ${comparison} (${columns.map(() => '?').join(', ')})`, [...columns, ...page.after]);
  }
  return query.orderBy(columns.map((column) => ({ column, order: order.direction }))).limit(page.limit + 1);
}

/**
 * Runs one page of a list: `query` is the list's SELECT with its filters (no order, no limit). This is the one
 * place a page query is executed. A page is an index range scan of at most `limit + 1` rows (each list's index
 * matches its order and filters; test/storage/keyset-paging.test.ts checks the plans), so it runs on the server's
 * own connection: on the long-read worker (off-loop-reads.ts) it would wait behind an export's whole read.
 */
export async function runPage<Row extends object>(query: Knex.QueryBuilder, order: PageOrder, page: PageRequest): Promise<Page<Row>> {
  const rows = (await keysetQuery(query, order, page)) as Row[];
  return toPage(rows, order, page);
}

/**
 * One page of a list read as several queries over disjoint rows in the same order (an indexed branch and a rare
 * fallback): each branch's page, merged. The merge compares keys in JavaScript, so they must sort there as in the
 * database: numbers, and ids of one fixed ASCII shape (UUIDs).
 */
export async function runMergedPage<Row extends object>(queries: readonly Knex.QueryBuilder[], order: PageOrder, page: PageRequest): Promise<Page<Row>> {
  const pages = await Promise.all(queries.map((query) => runPage<Row>(query, order, page)));
  const sign = order.direction === 'desc' ? -1 : 1;
  const merged = pages
    .flatMap((p) => p.rows)
    .sort((a, b) => sign * compareKeys(keysOf(a as Record<string, unknown>, order), keysOf(b as Record<string, unknown>, order)));
  if (merged.length > page.limit || pages.every((p) => p.next === null)) return toPage(merged, order, page);
  // Exactly a page, but a branch has more: the next page resumes after this one's last row.
  return { rows: merged, next: encodeCursor(page, keysOf(merged[merged.length - 1] as Record<string, unknown>, order)) };
}

function compareKeys(a: readonly PageKeyValue[], b: readonly PageKeyValue[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}
