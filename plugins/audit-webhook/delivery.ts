/**
 * Posting audit events to a webhook, off the audit bus: `enqueue` only appends to a bounded queue, so a slow or
 * failing receiver never delays the other sinks or a request. One POST is in flight at a time, `batchSize` events
 * each, signed with HMAC-SHA256 over the exact body. A retryable failure (network error, timeout, 408, 429, 5xx)
 * waits initialBackoffMs·2^(attempt−1), capped at maxBackoffMs, and tries the same body again (same delivery id, so a
 * receiver can drop a duplicate); any other status is final. Every event that does not arrive is handed to
 * `dropped` (logged whole at error level and counted by reason): a full queue, a refusal, attempts used up, or
 * still queued when the server stops.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { auditEventJson, type AuditEvent } from 'authplane';

/** How the delivery waits; tests hand in a scheduler they advance by hand instead of sleeping through backoff. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WebhookSettings {
  url: string;
  secret: string;
  batchSize: number;
  maxQueue: number;
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
}

export interface DeliveryOutcomes {
  /** Called once per POST with its outcome: delivered, retry, rejected, failed. */
  attempt?(outcome: 'delivered' | 'retry' | 'rejected' | 'failed'): void;
  /** Queue length after each change. */
  queued?(length: number): void;
}

export const SIGNATURE_HEADER = 'x-authplane-signature';
export const DELIVERY_HEADER = 'x-authplane-delivery';

/** `sha256=<hex>` of the body under the secret: what a receiver recomputes and compares in constant time. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export class WebhookDelivery {
  #queue: AuditEvent[] = [];
  /** The batch being posted or waiting for its next attempt. */
  #current: { events: AuditEvent[]; body: string; id: string; attempt: number } | undefined;
  #timer: unknown;
  #sending: Promise<void> | undefined;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(
    private readonly settings: WebhookSettings,
    private readonly dropped: (events: readonly AuditEvent[], reason: string, error?: unknown) => void,
    private readonly log: Logger,
    private readonly timers: Timers = realTimers,
    private readonly outcomes: DeliveryOutcomes = {},
  ) {}

  enqueue(events: readonly AuditEvent[]): void {
    if (this.#stopped) return this.dropped(events, 'webhook_stopped');
    const room = Math.max(0, this.settings.maxQueue - this.#queue.length);
    if (room < events.length) this.dropped(events.slice(room), 'webhook_queue_full');
    for (let i = 0; i < Math.min(room, events.length); i++) this.#queue.push(events[i]!);
    this.outcomes.queued?.(this.#queue.length);
    this.#pump();
  }

  get queued(): number {
    return this.#queue.length + (this.#current?.events.length ?? 0);
  }

  /** Resolves once nothing is queued or in flight (a batch waiting for its backoff counts as in flight). */
  whenIdle(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    if (this.#current || this.#stopped) return;
    if (this.#queue.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    const events = this.#queue.splice(0, this.settings.batchSize);
    this.outcomes.queued?.(this.#queue.length);
    const id = randomUUID();
    const body = JSON.stringify({
      delivery_id: id,
      events: events.map(auditEventJson),
    });
    this.#current = { events, body, id, attempt: 0 };
    this.#send();
  }

  #send(): void {
    const current = this.#current!;
    current.attempt++;
    this.#sending = this.#post(current.body, current.id).then(
      (status) => this.#settle(status, undefined),
      (err: unknown) => this.#settle(undefined, err),
    );
  }

  async #post(body: string, id: string): Promise<number> {
    const response = await fetch(this.settings.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signBody(this.settings.secret, body),
        [DELIVERY_HEADER]: id,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    // The body is not needed; reading it frees the connection for the next delivery.
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  }

  #settle(status: number | undefined, error: unknown): void {
    this.#sending = undefined;
    const current = this.#current!;
    if (status !== undefined && status >= 200 && status < 300) {
      this.outcomes.attempt?.('delivered');
      this.#current = undefined;
      return this.#pump();
    }
    const why = status === undefined ? (error instanceof Error ? error.message : String(error)) : `HTTP ${status}`;
    if (status !== undefined && !isRetryable(status)) {
      this.outcomes.attempt?.('rejected');
      this.#current = undefined;
      this.dropped(current.events, 'webhook_rejected', new Error(`the webhook refused the delivery: ${why}`));
      return this.#pump();
    }
    if (current.attempt >= this.settings.maxAttempts || this.#stopped) {
      this.outcomes.attempt?.('failed');
      this.#current = undefined;
      this.dropped(current.events, 'webhook_failed', new Error(`no delivery after ${current.attempt} attempt(s): ${why}`));
      return this.#pump();
    }
    this.outcomes.attempt?.('retry');
    const wait = Math.min(this.settings.maxBackoffMs, this.settings.initialBackoffMs * 2 ** (current.attempt - 1));
    this.log.warn({ delivery_id: current.id, attempt: current.attempt, retry_in_ms: wait, reason: why }, 'audit webhook delivery failed; retrying');
    this.#timer = this.timers.setTimeout(() => {
      this.#timer = undefined;
      this.#send();
    }, wait);
  }

  /**
   * Stops taking events. A POST in flight may finish (bounded by timeoutMs); a batch waiting for its backoff and
   * everything still queued are reported dropped, so a shutdown never loses events without a log line.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
      const waiting = this.#current!;
      this.#current = undefined;
      this.dropped(waiting.events, 'webhook_stopped', new Error('the server stopped while the delivery waited to be retried'));
    }
    await this.#sending;
    const left = this.#queue.splice(0);
    if (left.length) this.dropped(left, 'webhook_stopped', new Error('the server stopped before these were delivered'));
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
