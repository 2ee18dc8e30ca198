/**
 * `GET /admin/audit/summary?since&until`: how many audit events of each action the window holds, and the refusals
 * (actions ending in `_denied` or `_failed`) by reason — the Overview's denials, without paging through events.
 * Both are aggregates in the database; on SQLite they are read off the event loop (a window may hold many rows).
 */
import { badRequest, type RegisterApi, type RuntimeApi } from 'authplane';
import { parseAuditQuery } from './query.js';

const PARAMS = ['since', 'until'] as const;
/** Actions that record a refusal: token_exchange_denied, jwt_bearer_denied, consent_denied, user_login_failed… */
const REFUSAL = /_(denied|failed)$/;

export interface AuditSummary {
  since: string;
  until: string;
  actions: { action: string; count: number }[];
  /** `reason` is the event's `detail.reason` (else `detail.error`), null when it has neither. */
  denials: { action: string; reason: string | null; count: number }[];
}

export function parseSummaryWindow(raw: Readonly<Record<string, string | string[] | undefined>>, now = Date.now()): { since: number; until: number } {
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && !(PARAMS as readonly string[]).includes(name)) {
      const message = `is not a known parameter (use ${PARAMS.join(', ')})`;
      throw badRequest(`${name}: ${message}`, { errors: [{ field: name, message }] });
    }
  }
  // The list's window rules: RFC 3339, the last day by default, at most 30 days.
  const { since, until } = parseAuditQuery(raw, now);
  return { since, until };
}

const byCount = <T extends { count: number }>(rows: T[], name: (row: T) => string) =>
  rows.sort((a, b) => b.count - a.count || name(a).localeCompare(name(b)));

export async function summarizeAudit(runtime: RuntimeApi, window: { since: number; until: number }): Promise<AuditSummary> {
  const { db } = runtime;
  const inWindow = () => db('audit_events').where('time', '>=', window.since).andWhere('time', '<=', window.until);
  const actionRows = await runtime.readRows<{ action: string; count: number | string }>(
    inWindow().select('action').count({ count: '*' }).groupBy('action'),
  );
  const actions = byCount(actionRows.map((r) => ({ action: r.action, count: Number(r.count) })), (r) => r.action);
  const refusals = actions.filter((a) => REFUSAL.test(a.action)).map((a) => a.action);
  let denials: AuditSummary['denials'] = [];
  if (refusals.length > 0) {
    // detail is JSON text on both databases (written by dialect.json).
    const field = (key: string) => (runtime.dialect.name === 'postgres' ? `(detail::json ->> '${key}')` : `json_extract(detail, '$.${key}')`);
    const reason = `coalesce(${field('reason')}, ${field('error')})`;
    const rows = await runtime.readRows<{ action: string; reason: string | null; count: number | string }>(
      inWindow().whereIn('action', refusals).select('action', db.raw(`${reason} as reason`)).count({ count: '*' }).groupBy('action').groupByRaw(reason),
    );
    denials = byCount(rows.map((r) => ({ action: r.action, reason: r.reason === null ? null : String(r.reason), count: Number(r.count) })), (r) => `${r.action} ${r.reason ?? ''}`);
  }
  return { since: new Date(window.since).toISOString(), until: new Date(window.until).toISOString(), actions, denials };
}

export function registerAuditSummaryRoute(api: RegisterApi): void {
  api.route('admin', 'GET', '/admin/audit/summary', async (ctx) => {
    const window = parseSummaryWindow(ctx.query);
    await api.runtime().audit.flush();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await summarizeAudit(api.runtime(), window);
  });
}
