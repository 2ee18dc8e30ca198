/**
 * Reading the audit trail back: one parser for the filters (shared by `GET /admin/audit` and
 * `authserver admin audit list`) and one query. Bounds keep a single request from scanning the whole table.
 */
import { badRequest, creationOrder, pageRequest, runPage, type Page, type PageRequest, type RuntimeApi } from 'authplane';

/** Without `since`/`until`, the last day. */
const DEFAULT_WINDOW_MS = 24 * 3_600_000;
/** The widest window one request may ask for. */
const MAX_WINDOW_MS = 30 * 86_400_000;

/** Query parameters, in the API's spelling. */
export const AUDIT_FILTERS = ['since', 'until', 'user_id', 'client_id', 'action', 'limit', 'cursor'] as const;
export type AuditFilterName = (typeof AUDIT_FILTERS)[number];

/** Longest value of each exact-match filter (the column widths of audit_events). */
const MAX_LENGTH = { user_id: 512, client_id: 512, action: 64 } as const;

/** RFC 3339 §5.6 date-time: full-date "T" full-time, with a mandatory offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

export interface AuditQuery {
  since: number;
  until: number;
  user_id?: string;
  client_id?: string;
  action?: string;
  page: PageRequest;
}

/** Newest first; UUIDv7 ids are time-ordered and unique, so they break ties between events of the same millisecond. */
export const AUDIT_ORDER = creationOrder('audit', { time: 'time', direction: 'desc' });

export interface AuditEventView {
  id: string;
  time: string;
  action: string;
  actor_id: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  trace_id: string | null;
  request_id: string | null;
  detail: Record<string, unknown>;
}

function invalid(field: string, message: string): Error {
  return badRequest(`${field}: ${message}`, { errors: [{ field, message }] });
}

/** Milliseconds of an RFC 3339 date-time, or undefined when the text is not one (including impossible dates). */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[8] && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(text.toUpperCase());
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Turns raw parameters into a bounded query: unknown, repeated, malformed or out-of-bounds parameters are a 400
 * problem naming the parameter.
 */
export function parseAuditQuery(raw: Readonly<Record<string, string | string[] | undefined>>, now = Date.now()): AuditQuery {
  const params: Partial<Record<AuditFilterName, string>> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(AUDIT_FILTERS as readonly string[]).includes(name)) {
      throw invalid(name, `is not a known parameter (use ${AUDIT_FILTERS.join(', ')})`);
    }
    if (typeof value !== 'string') throw invalid(name, 'must be given once');
    params[name as AuditFilterName] = value;
  }
  const time = (name: 'since' | 'until') => {
    if (params[name] === undefined) return undefined;
    const ms = parseRfc3339(params[name]);
    if (ms === undefined) throw invalid(name, 'must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z');
    return ms;
  };
  const sinceParam = time('since');
  const untilParam = time('until');
  const until = untilParam ?? now;
  const since = sinceParam ?? until - DEFAULT_WINDOW_MS;
  // Only an explicit since can break these: the default window is one day ending at until.
  if (since > until) throw invalid('since', `must not be later than until (${new Date(until).toISOString()})`);
  if (until - since > MAX_WINDOW_MS) throw invalid('since', 'the window from since to until must not exceed 30 days');

  for (const name of ['user_id', 'client_id', 'action'] as const) {
    const value = params[name];
    if (value === undefined) continue;
    if (value === '') throw invalid(name, 'must not be empty');
    if (value.length > MAX_LENGTH[name]) throw invalid(name, `must be at most ${MAX_LENGTH[name]} characters`);
  }
  const filters = { since: params.since, until: params.until, user_id: params.user_id, client_id: params.client_id, action: params.action };
  // A window defaulting to "now" is fixed by the first page, so every later page walks the same one.
  const page = pageRequest(params, AUDIT_ORDER, filters, { since, until });
  return {
    since: Number(page.pinned?.since ?? since),
    until: Number(page.pinned?.until ?? until),
    ...(params.user_id !== undefined ? { user_id: params.user_id } : {}),
    ...(params.client_id !== undefined ? { client_id: params.client_id } : {}),
    ...(params.action !== undefined ? { action: params.action } : {}),
    page,
  };
}

export interface AuditRow {
  id: string;
  time: number | string;
  action: string;
  actor_id: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  trace_id: string | null;
  request_id: string | null;
  detail: string | null;
}

/** One page of the events inside the window matching every filter, newest first. */
export async function queryAuditEvents(runtime: RuntimeApi, query: AuditQuery): Promise<Page<AuditEventView>> {
  const select = runtime.db<AuditRow>('audit_events').where('time', '>=', query.since).andWhere('time', '<=', query.until);
  for (const name of ['user_id', 'client_id', 'action'] as const) {
    if (query[name] !== undefined) select.andWhere(name, query[name]);
  }
  const page = await runPage<AuditRow>(select, AUDIT_ORDER, query.page);
  return { rows: page.rows.map((row) => auditEventView(runtime, row)), next: page.next };
}

/** A stored row as the API shows it: RFC 3339 time, detail parsed. */
export function auditEventView(runtime: RuntimeApi, row: AuditRow): AuditEventView {
  return {
    id: row.id,
    time: new Date(Number(row.time)).toISOString(),
    action: row.action,
    actor_id: row.actor_id,
    user_id: row.user_id,
    client_id: row.client_id,
    ip: row.ip,
    trace_id: row.trace_id,
    request_id: row.request_id,
    detail: row.detail ? runtime.dialect.parseJson<Record<string, unknown>>(row.detail) : {},
  };
}
