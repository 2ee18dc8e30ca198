import type { Context } from '@opentelemetry/api';
import type { tracing } from '@opentelemetry/sdk-node';

type ReadableSpan = tracing.ReadableSpan;
type SpanExporter = tracing.SpanExporter;

export interface SpanQueueOptions {
  /** Spans held while waiting for export; a span ended when it is full is dropped (and counted). */
  maxQueue: number;
  /** Spans per export request. */
  batchSize: number;
  /** A partial batch is exported this long after its first span. */
  delayMs: number;
  /** How long shutdown waits for the last exports. */
  shutdownWaitMs: number;
}

export interface SpanQueueReport {
  exported(count: number): void;
  /** `queue_full`: ended while the queue was full; `export_failed`: the exporter gave up on them (after its retries). */
  dropped(reason: 'queue_full' | 'export_failed', count: number, error?: Error): void;
}

/** SDK's ExportResultCode.SUCCESS (the SDK is imported lazily; this module only by type). */
const SUCCESS = 0;

/**
 * The span processor between the request path and the OTLP exporter: ending a span is an array push, whatever the
 * collector does. One export is in flight at a time (the exporter retries a failed one with backoff within its
 * timeout); spans ended meanwhile wait in a bounded queue, and what does not fit is dropped and reported — a dead
 * or slow collector costs spans, never request latency or unbounded memory.
 */
export class SpanQueue {
  readonly #queue: ReadableSpan[] = [];
  #timer: NodeJS.Timeout | undefined;
  #exporting: Promise<void> | undefined;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly options: SpanQueueOptions,
    private readonly report: SpanQueueReport,
  ) {}

  onStart(_span: unknown, _context: Context): void {}

  onEnd(span: ReadableSpan): void {
    // Only sampled spans are exported (a recording span may be unsampled under a custom sampler).
    if ((span.spanContext().traceFlags & 1) === 0) return;
    if (this.#queue.length >= this.options.maxQueue) {
      this.report.dropped('queue_full', 1);
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= this.options.batchSize) this.#exportSoon(0);
    else this.#exportSoon(this.options.delayMs);
  }

  /** Exports everything queued (the SDK calls it on shutdown; tests to read what was sent). */
  async forceFlush(): Promise<void> {
    while (this.#exporting || this.#queue.length > 0) {
      if (this.#exporting) await this.#exporting;
      else this.#startExport();
    }
  }

  /**
   * Exports what is queued, waiting at most `shutdownWaitMs` (a dead collector must not hold up the server's stop):
   * spans still queued then are dropped and reported.
   */
  async shutdown(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'gave up'>((resolve) => (timer = setTimeout(() => resolve('gave up'), this.options.shutdownWaitMs)));
    const outcome = await Promise.race([this.forceFlush(), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'gave up' && this.#queue.length > 0) {
      this.report.dropped('export_failed', this.#queue.length, new Error(`the collector did not take them within ${this.options.shutdownWaitMs} ms of shutdown`));
      this.#queue.length = 0;
    }
    await this.exporter.shutdown();
  }

  #exportSoon(delayMs: number): void {
    if (this.#exporting) return; // the export in flight schedules the next one when it ends
    if (this.#timer && delayMs > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startExport();
    }, delayMs);
    this.#timer.unref();
  }

  #startExport(): void {
    if (this.#exporting || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.options.batchSize);
    this.#exporting = new Promise<void>((resolve) => {
      try {
        this.exporter.export(batch, (result) => {
          if (result.code === SUCCESS) this.report.exported(batch.length);
          else this.report.dropped('export_failed', batch.length, result.error);
          resolve();
        });
      } catch (err) {
        this.report.dropped('export_failed', batch.length, err instanceof Error ? err : new Error(String(err)));
        resolve();
      }
    }).then(() => {
      this.#exporting = undefined;
      if (this.#queue.length >= this.options.batchSize) this.#exportSoon(0);
      else if (this.#queue.length > 0) this.#exportSoon(this.options.delayMs);
    });
  }
}
