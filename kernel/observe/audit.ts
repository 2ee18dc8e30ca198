import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { AuditBus, AuditEvent, AuditInput } from '../contracts.js';
import type { HookCatalog } from '../hooks.js';
import { uuidv7 } from '../storage/ids.js';
import type { Metrics } from './metrics.js';

/** Largest batch handed to the sinks at once. */
const MAX_BATCH = 500;
/**
 * Least time between two deliveries while events keep coming. Every delivery is a database transaction (on SQLite a
 * few page writes and lock calls, on PostgreSQL a statement and a commit), so under token load the events of a few
 * turns share one; a longer wait made each delivery a burst — on SQLite a synchronous insert of hundreds of rows —
 * that the requests in flight waited behind (docs/performance.md). An event after a quiet spell is delivered on the
 * next turn.
 */
export const MIN_INTERVAL_MS = 5;

/**
 * Fans audit events out to the `auditSinks` taps in batches, after the response that caused them, so writing an
 * audit row never delays a response: on the next turn when the last delivery is more than MIN_INTERVAL_MS old,
 * else when it is. A failing sink is never thrown into a request: the events it failed are logged one by one at
 * error level and counted (`dropped`), and a sink that can store part of a batch reports the rest the same way.
 * `flush()` delivers what is queued at once (readers of the trail in this process call it first).
 */
export class AuditQueue implements AuditBus {
  #queue: AuditEvent[] = [];
  /** Cancels the scheduled delivery, while one is scheduled. */
  #scheduled: (() => void) | undefined;
  #lastDrain = 0;
  #inflight = new Set<Promise<void>>();
  /** The active trace, once tracing is on (the kernel then loads @opentelemetry/api); nothing otherwise. */
  #traceId: () => string | undefined = () => undefined;

  #droppedTotal: Counter<'reason'> | undefined;

  constructor(
    private readonly hook: HookCatalog['auditSinks'],
    private readonly log: Logger,
    private readonly minIntervalMs = MIN_INTERVAL_MS,
    metrics?: Metrics,
  ) {
    this.#droppedTotal = metrics?.counter({
      name: 'authserver_audit_events_dropped_total',
      help: 'Audit events a sink could not store, by reason (each is also logged at error level)',
      labelNames: ['reason'] as const,
    });
  }

  emit(input: AuditInput): void {
    // The trace of the request that caused the event, when tracing is on (no active span otherwise: no cost).
    const traceId = input.trace_id ?? this.#traceId() ?? null;
    // Field by field, not `{ ...input, … }`: with the spread (even for events no sink receives), V8's scavenges
    // promoted the events into the old generation, and the major collections that followed paused every request
    // (docs/performance.md). Keep it this way.
    const event: AuditEvent = {
      id: uuidv7(),
      time: input.time ?? new Date(),
      action: input.action,
      actor_id: input.actor_id ?? null,
      user_id: input.user_id ?? null,
      client_id: input.client_id ?? null,
      ip: input.ip ?? null,
      trace_id: traceId,
      request_id: input.request_id ?? null,
      detail: input.detail,
    };
    // At debug, not info: info is one access line per request (issue 23), and a token's audit line was half of
    // what logging at info cost (docs/performance.md). The trail is the sinks' job: audit-db stores every event,
    // the audit-log plugin writes each one whole to the log at the level it is given.
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ audit: event.action, user_id: event.user_id, client_id: event.client_id, request_id: event.request_id }, 'audit');
    }
    if (!this.hook.isUsed()) return;
    this.#queue.push(event);
    if (this.#scheduled) return;
    const wait = this.#lastDrain + this.minIntervalMs - performance.now();
    if (wait > 0) {
      const timer = setTimeout(() => this.#drain(), wait);
      this.#scheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.#drain());
      this.#scheduled = () => clearImmediate(immediate);
    }
  }

  #drain(): void {
    this.#scheduled?.();
    this.#scheduled = undefined;
    this.#lastDrain = performance.now();
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      const delivery = this.hook
        .promise(batch)
        .catch((err: unknown) => this.dropped(batch, 'sink_failed', err))
        .finally(() => this.#inflight.delete(delivery));
      this.#inflight.add(delivery);
    }
  }

  dropped(events: readonly AuditEvent[], reason: string, error?: unknown): void {
    this.#droppedTotal?.inc({ reason }, events.length);
    const message = error instanceof Error ? error.message : error === undefined ? undefined : String(error);
    for (const event of events) {
      // The whole event, so what the trail lost can still be read (and replayed) from the log.
      this.log.error({ audit_event: auditEventJson(event), reason, error: message }, 'audit event dropped');
    }
  }

  traceIdFrom(source: () => string | undefined): void {
    this.#traceId = source;
  }

  async flush(): Promise<void> {
    if (this.#queue.length) this.#drain();
    await Promise.all([...this.#inflight]);
  }
}

/**
 * An audit event as JSON carries it (the time as ISO 8601), member by member: sinks write one per event, and on
 * Node 20 `{ ...event, time }` gives every copy a hidden class of its own (docs/performance.md, "A hidden class per
 * object").
 */
export function auditEventJson(event: AuditEvent): Omit<AuditEvent, 'time'> & { time: string } {
  return {
    id: event.id,
    time: event.time.toISOString(),
    action: event.action,
    actor_id: event.actor_id,
    user_id: event.user_id,
    client_id: event.client_id,
    ip: event.ip,
    trace_id: event.trace_id,
    request_id: event.request_id,
    detail: event.detail,
  };
}
