import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { tracing } from '@opentelemetry/sdk-node';
import { SpanQueue } from '../../../plugins/tracing-otel/span-queue.js';

/** An exporter that holds each export until the test answers it, as a slow collector would. */
function heldExporter() {
  const calls: { spans: unknown[]; done: (result: { code: number; error?: Error }) => void }[] = [];
  const exporter = {
    export: (spans: unknown[], done: (result: { code: number; error?: Error }) => void) => void calls.push({ spans, done }),
    shutdown: async () => {},
  } as unknown as tracing.SpanExporter;
  return { exporter, calls };
}

const span = (sampled = true) => ({ spanContext: () => ({ traceFlags: sampled ? 1 : 0 }) }) as unknown as tracing.ReadableSpan;

function counting() {
  const counts = { exported: 0, queue_full: 0, export_failed: 0 };
  return {
    counts,
    report: {
      exported: (n: number) => (counts.exported += n),
      dropped: (reason: 'queue_full' | 'export_failed', n: number) => (counts[reason] += n),
    },
  };
}

test('while an export is in flight, spans wait in a bounded queue; what does not fit is dropped and counted', async () => {
  const { exporter, calls } = heldExporter();
  const { counts, report } = counting();
  const queue = new SpanQueue(exporter, { maxQueue: 4, batchSize: 2, delayMs: 60_000, shutdownWaitMs: 1000 }, report);
  queue.onEnd(span());
  queue.onEnd(span()); // a full batch: exported on the next timer tick
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(calls.length, 1, 'the first batch is on its way');
  for (let i = 0; i < 6; i++) queue.onEnd(span());
  assert.equal(calls.length, 1, 'one export at a time');
  assert.equal(counts.queue_full, 2, 'four held, two dropped');
  queue.onEnd(span(false));
  assert.equal(counts.queue_full, 2, 'an unsampled span is not queued at all');

  calls[0]!.done({ code: 1, error: new Error('collector down') });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(counts.export_failed, 2, 'a failed export counts its spans');
  assert.equal(calls.length, 2, 'the next batch follows at once while a full batch waits');
  calls[1]!.done({ code: 0 });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(counts.exported, 2);
  const shutdown = queue.shutdown();
  await new Promise((r) => setTimeout(r, 10));
  calls[2]!.done({ code: 0 });
  await shutdown;
  assert.deepEqual(counts, { exported: 4, queue_full: 2, export_failed: 2 });
});

test('shutdown waits for a hung export only so long, then drops what is left and says so', async () => {
  const { exporter, calls } = heldExporter();
  const { counts, report } = counting();
  const queue = new SpanQueue(exporter, { maxQueue: 10, batchSize: 2, delayMs: 60_000, shutdownWaitMs: 50 }, report);
  for (let i = 0; i < 5; i++) queue.onEnd(span());
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(calls.length, 1);
  await queue.shutdown(); // the held export never answers
  assert.equal(counts.export_failed, 3, 'the three spans never sent are reported');
});
