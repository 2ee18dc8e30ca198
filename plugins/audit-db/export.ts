/**
 * `GET /admin/audit/export?since&until`: every audit event in the window, oldest first, as NDJSON (one event a
 * line, the shape of `GET /admin/audit`). Unlike the list it has no window or row limit, so it never holds the
 * result: rows are read in keyset batches as the client consumes the response, and a slow reader slows the reads
 * instead of filling memory.
 */
import { Readable } from 'node:stream';
import { badRequest, type RegisterApi, type RuntimeApi } from 'authplane';
import { auditEventView, parseRfc3339, type AuditRow } from './query.js';

/** Rows per query: large enough that a query's round trip is small next to writing its rows out. */
export const EXPORT_BATCH = 500;

const PARAMS = ['since', 'until'] as const;

export interface ExportWindow {
  /** Inclusive, milliseconds; 0 when absent (the whole trail). */
  since: number;
  /** Inclusive, milliseconds; the request's time when absent. */
  until: number;
}

function invalid(field: string, message: string): Error {
  return badRequest(`${field}: ${message}`, { errors: [{ field, message }] });
}

export function parseExportWindow(raw: Readonly<Record<string, string | string[] | undefined>>, now = Date.now()): ExportWindow {
  const values: Partial<Record<(typeof PARAMS)[number], number>> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(PARAMS as readonly string[]).includes(name)) throw invalid(name, `is not a known parameter (use ${PARAMS.join(', ')})`);
    if (typeof value !== 'string') throw invalid(name, 'must be given once');
    const ms = parseRfc3339(value);
    if (ms === undefined) throw invalid(name, 'must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z');
    values[name as (typeof PARAMS)[number]] = ms;
  }
  const since = values.since ?? 0;
  const until = values.until ?? now;
  if (since > until) throw invalid('since', `must not be later than until (${new Date(until).toISOString()})`);
  return { since, until };
}

/** The window's events as NDJSON chunks, one batch a chunk, read only when the previous chunk was taken. */
export async function* auditEventLines(runtime: RuntimeApi, window: ExportWindow, batch = EXPORT_BATCH): AsyncGenerator<string> {
  let after: { time: number; id: string } | undefined;
  for (;;) {
    const select = runtime
      .db<AuditRow>('audit_events')
      .where('time', '<=', window.until)
      // (time, id) is unique and ordered (UUIDv7 ids break ties), so each batch resumes exactly after the last.
      .orderBy([{ column: 'time' }, { column: 'id' }])
      .limit(batch);
    if (after) {
      const { time, id } = after;
      select.andWhere((q) => q.where('time', '>', time).orWhere((same) => same.where('time', time).andWhere('id', '>', id)));
    } else {
      select.andWhere('time', '>=', window.since);
    }
    // Off the event loop on SQLite: an export walks the whole window, and the server answers requests meanwhile.
    const rows = await runtime.readRows<AuditRow>(select);
    if (rows.length === 0) return;
    let chunk = '';
    for (const row of rows) chunk += `${JSON.stringify(auditEventView(runtime, row))}\n`;
    yield chunk;
    if (rows.length < batch) return;
    const last = rows[rows.length - 1]!;
    after = { time: Number(last.time), id: last.id };
  }
}

export function registerAuditExportRoute(api: RegisterApi): void {
  api.route('admin', 'GET', '/admin/audit/export', async (ctx) => {
    const window = parseExportWindow(ctx.query);
    const runtime = api.runtime();
    // Events this server emitted a moment ago may still wait for their batch: the export includes them.
    await runtime.audit.flush();
    const lines = auditEventLines(runtime, window);
    // The first batch is read before the status goes out, so a database that cannot be read is a problem
    // response, not an empty 200; a failure after that can only cut the response short, which the client sees as
    // a chunked body without its end.
    const first = await lines.next();
    async function* rest(): AsyncGenerator<string> {
      if (first.done) return;
      yield first.value;
      yield* lines;
    }
    const body = Readable.from(rest(), { objectMode: false, highWaterMark: 1 });
    body.on('error', (err) => api.log.error({ err }, 'audit export cut short'));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/x-ndjson';
    ctx.body = body;
  });
}
