/**
 * `GET /admin/audit/stream`: the audit trail as server-sent events, live — each event once it is written to
 * `audit_events`, in the shape of `GET /admin/audit`, filtered by user_id, client_id and action. Every event
 * carries its id (`id:`), so a client that reconnects with `Last-Event-ID` first gets what it missed from the table
 * (at least once: events of the last one's millisecond may come again, so a client drops ids it has shown).
 * Comments keep idle connections alive through proxies. A client that does not read is disconnected once its
 * unsent events pass a bound, rather than held in memory; every stream ends when the server starts stopping.
 * The events are this server's: a replica's show up in the table, not in this stream.
 */
import type { ServerResponse } from 'node:http';
import type { AuditEvent, RegisterApi, RuntimeApi } from 'authplane';
import { badRequest } from 'authplane';
import { eventColumns } from './write.js';
import { auditEventView, parseAuditQuery, type AuditEventView, type AuditRow } from './query.js';

const STREAM_FILTERS = ['user_id', 'client_id', 'action'] as const;
/** Unsent bytes a connection may hold before it is cut: a few hundred events, far more than a reading client lags. */
export const MAX_UNSENT_BYTES = 1 << 20;
/** Events replayed after Last-Event-ID at most; an older gap is for `GET /admin/audit` to fill. */
const MAX_REPLAY = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Filters = Partial<Record<(typeof STREAM_FILTERS)[number], string>>;
type Listener = (events: readonly AuditEventView[]) => void;

/** The events this server's sink has written, handed to every open stream. */
export class AuditFeed {
  readonly #listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#listeners.size;
  }

  publish(events: readonly AuditEvent[]): void {
    if (this.#listeners.size === 0) return;
    const views = events.map(eventView);
    for (const listener of this.#listeners) listener(views);
  }
}

/** The API's shape of an event, as `GET /admin/audit` shows its row. */
function eventView(e: AuditEvent): AuditEventView {
  return eventColumns(e, e.time.toISOString(), e.detail ?? {});
}

function parseStreamFilters(raw: Readonly<Record<string, string | string[] | undefined>>): Filters {
  for (const name of Object.keys(raw)) {
    if (!(STREAM_FILTERS as readonly string[]).includes(name)) {
      throw badRequest(`${name}: is not a known parameter (use ${STREAM_FILTERS.join(', ')})`, {
        errors: [{ field: name, message: `is not a known parameter (use ${STREAM_FILTERS.join(', ')})` }],
      });
    }
  }
  // The list's parser checks the values (given once, not empty, within the column widths).
  const query = parseAuditQuery(raw);
  const filters: Filters = {};
  for (const name of STREAM_FILTERS) if (query[name] !== undefined) filters[name] = query[name];
  return filters;
}

const matches = (event: AuditEventView, filters: Filters) => STREAM_FILTERS.every((name) => filters[name] === undefined || event[name] === filters[name]);

const frame = (event: AuditEventView) => `id: ${event.id}\nevent: audit\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * Events since the one with `lastId`, oldest first. UUIDv7 ids order events by millisecond only (the rest is
 * random), so the events of that same millisecond are all sent again but `lastId` itself: at least once, never lost.
 */
async function missedSince(runtime: RuntimeApi, lastId: string, filters: Filters): Promise<AuditEventView[]> {
  const last = (await runtime.db<AuditRow>('audit_events').where('id', lastId).first('time')) as Pick<AuditRow, 'time'> | undefined;
  // Gone (purged) or never stored: its id's own millisecond (UUIDv7's first 48 bits).
  const since = last ? Number(last.time) : parseInt(lastId.replace(/-/g, '').slice(0, 12), 16);
  const select = runtime
    .db<AuditRow>('audit_events')
    .where('time', '>=', since)
    .andWhere('id', '<>', lastId)
    .orderBy([{ column: 'time' }, { column: 'id' }])
    .limit(MAX_REPLAY);
  for (const name of STREAM_FILTERS) if (filters[name] !== undefined) select.andWhere(name, filters[name]);
  return ((await select) as AuditRow[]).map((row) => auditEventView(runtime, row));
}

export function registerAuditStreamRoute(api: RegisterApi, feed: AuditFeed, options: { heartbeatMs: number }): void {
  api.route('admin', 'GET', '/admin/audit/stream', async (ctx) => {
    const filters = parseStreamFilters(ctx.query);
    const lastId = ctx.get('last-event-id').trim().toLowerCase();
    if (lastId && !UUID.test(lastId)) throw badRequest('Last-Event-ID: must be the id of an audit event');
    const runtime = api.runtime();
    if (runtime.stopping.aborted) throw badRequest('the server is stopping');

    // Subscribed before the replay is read, so nothing falls between them; the replay's ids are skipped live.
    const pending: AuditEventView[] = [];
    let live: Listener = (events) => pending.push(...events);
    const unsubscribe = feed.subscribe((events) => live(events));
    let replay: AuditEventView[] = [];
    try {
      if (lastId) {
        await runtime.audit.flush();
        replay = await missedSince(runtime, lastId, filters);
      }
    } catch (err) {
      unsubscribe();
      throw err;
    }

    const res: ServerResponse = ctx.res;
    ctx.respond = false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.socket?.setNoDelay(true);
    // Idle streams stay open: no socket timeout (the heartbeat shows a dead peer).
    res.socket?.setTimeout(0);

    let closed = false;
    const close = (why: 'client' | 'slow' | 'stopping') => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      runtime.stopping.removeEventListener('abort', stopping);
      if (why === 'slow') {
        api.log.warn({ unsent_bytes: res.writableLength }, 'audit stream client too slow: disconnected');
        res.destroy();
      } else if (!res.writableEnded) {
        res.end();
      }
    };
    const write = (text: string) => {
      if (closed) return;
      res.write(text);
      if (res.writableLength > MAX_UNSENT_BYTES) close('slow');
    };
    const send = (events: readonly AuditEventView[], skip?: ReadonlySet<string>) => {
      let text = '';
      for (const event of events) if (matches(event, filters) && !skip?.has(event.id)) text += frame(event);
      if (text) write(text);
    };
    const stopping = () => close('stopping');
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), options.heartbeatMs);
    heartbeat.unref();
    res.on('close', () => close('client'));
    runtime.stopping.addEventListener('abort', stopping);
    // Stopping began while the replay was read: the listener above will not be called.
    if (runtime.stopping.aborted) return close('stopping');

    // The client reconnects after 3 s when the connection drops.
    write(`retry: 3000\n: connected\n\n`);
    send(replay);
    // Written while the replay was read: in the replay already, or not.
    send(pending.splice(0), new Set(replay.map((e) => e.id)));
    live = (events) => send(events);
  });
}
