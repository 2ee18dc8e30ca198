/**
 * Writing a batch of audit events so that one bad event cannot take the others with it. A batch is one INSERT (one
 * transaction); when the database refuses it for what a row holds, the rows are written one by one and only those
 * refused are reported as dropped. When the database cannot be written at all, retrying row by row would only wait
 * on it once per row: the batch is reported at once.
 */
import { insertRows, type AuditEvent, type RuntimeApi } from 'authplane';

type Row = Record<string, unknown>;

/** PostgreSQL SQLSTATE classes about the values of a row: 22 data exception, 23 integrity, 54 program limit. */
const PG_ROW_CLASSES = new Set(['22', '23', '54']);
/** better-sqlite3 error codes about a row's values. */
const SQLITE_ROW_CODE = /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/;

/** true when the error is about the values of a row (another row would have gone in), not the database. */
export function isRowError(error: unknown): boolean {
  // A value the driver cannot bind (not a string, number or null) fails in JavaScript, before the database.
  if (error instanceof TypeError || error instanceof RangeError) return true;
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return code.startsWith('SQLITE_') ? SQLITE_ROW_CODE.test(code) : code.length === 5 && PG_ROW_CLASSES.has(code.slice(0, 2));
}

/** An event as its `audit_events` row (time in ms, detail as JSON text). */
export function toRow(e: AuditEvent): Row {
  return eventColumns(e, e.time.getTime(), e.detail ? JSON.stringify(e.detail) : null);
}

/**
 * The event's columns with `time` and `detail` as the caller represents them (the row, the API's view), member by
 * member: on Node 20 `{ ...row, time, detail }` would give every event a hidden class of its own.
 */
export function eventColumns<T, D>(e: AuditEvent, time: T, detail: D) {
  return {
    id: e.id,
    time,
    action: e.action,
    actor_id: e.actor_id ?? null,
    user_id: e.user_id ?? null,
    client_id: e.client_id ?? null,
    ip: e.ip ?? null,
    trace_id: e.trace_id ?? null,
    request_id: e.request_id ?? null,
    detail,
  };
}

export async function writeAuditEvents(rt: RuntimeApi, events: readonly AuditEvent[]): Promise<void> {
  const rows: Row[] = [];
  const written: AuditEvent[] = [];
  for (const event of events) {
    try {
      rows.push(toRow(event));
      written.push(event);
    } catch (err) {
      // A detail JSON cannot hold (a BigInt, a cycle): that event alone is lost, and said so.
      rt.audit.dropped([event], 'rejected', err);
    }
  }
  try {
    await insertRows(rt.db, rt.dialect, 'audit_events', rows);
    return;
  } catch (err) {
    if (!isRowError(err)) return rt.audit.dropped(written, 'unavailable', err);
  }
  for (let i = 0; i < rows.length; i++) {
    try {
      await insertRows(rt.db, rt.dialect, 'audit_events', [rows[i]!]);
    } catch (err) {
      if (isRowError(err)) {
        rt.audit.dropped([written[i]!], 'rejected', err);
        continue;
      }
      return rt.audit.dropped(written.slice(i), 'unavailable', err);
    }
  }
}
