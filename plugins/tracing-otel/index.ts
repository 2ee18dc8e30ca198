/**
 * tracing-otel: OpenTelemetry traces (and metrics) over OTLP/HTTP, behind `observability.tracing.enabled` (off by default).
 * The kernel emits spans through @opentelemetry/api, a no-op until this plugin registers the SDK; the SDK itself
 * is imported only when tracing is on, so a server without tracing never loads it.
 * - Spans: `<METHOD> <route template>` per request (server span, continuing an incoming `traceparent`), and under it
 *   `token.issue`, `INSERT token_issuances` (the issuance row's group commit), a span per knex statement and one
 *   per outbound fetch (`GET <host>`, which carries this trace's `traceparent` to the service called).
 * - Export: OTLP/HTTP (JSON) to `observability.tracing.endpoint`, through a bounded queue (span-queue.ts): the
 *   exporter retries with backoff; spans it gives up on or that find the queue full are dropped, counted in
 *   authserver_tracing_spans_dropped_total{reason} and reported by a warning line (at most one a minute).
 * - Metrics over OTLP, behind `observability.metrics.otlpEnabled`: the registry behind `/metrics`, pushed every
 *   `otlpInterval` seconds (metrics-bridge.ts), independent of tracing.
 * Metrics: authserver_tracing_spans_exported_total, authserver_tracing_spans_dropped_total{reason}.
 */
import { definePlugin, type Metrics, type RuntimeApi } from 'authplane';
import { registryProducer } from './metrics-bridge.js';
import { SpanQueue, type SpanQueueReport } from './span-queue.js';

interface RunningSdk {
  shutdown(): Promise<void>;
}

/** Spans held for export at most; what ends while it is full is dropped. */
const MAX_QUEUE = 2048;
const BATCH_SIZE = 512;
const EXPORT_DELAY_MS = 1000;
/** One export, its retries included (the exporter's backoff runs inside it). */
const EXPORT_TIMEOUT_MS = 10_000;
/** At shutdown, how long the last spans may take to export before they are dropped. */
const SHUTDOWN_WAIT_MS = 3000;
/** While export keeps failing, one warning line per this interval (each with the count dropped since the last). */
const WARN_INTERVAL_MS = 60_000;

export const tracingOtel = definePlugin({
  name: 'tracing-otel',
  register(api) {
    // This server's SDK once init started it: register runs once per server, so two servers stay apart.
    let sdk: RunningSdk | undefined;
    let metricsExport: RunningSdk | undefined;
    const counters = exportCounters(api.metrics);
    return {
      async init(runtime) {
        sdk = await startSdk(runtime, counters);
        metricsExport = await startMetricsExport(runtime);
      },
      async stop() {
        await metricsExport?.shutdown();
        metricsExport = undefined;
        if (!sdk) return;
        try {
          await sdk.shutdown();
        } finally {
          sdk = undefined;
          // The SDK registered itself as the process's tracer provider, context manager and propagator; a server
          // started later in this process (tests, an embedding application) registers its own.
          const otel = await import('@opentelemetry/api');
          otel.trace.disable();
          otel.context.disable();
          otel.propagation.disable();
        }
      },
    };
  },
});

/** Declared at register, tracing on or off: the registry (and docs/metrics.md) lists them either way. */
function exportCounters(metrics: Metrics) {
  return {
    exported: metrics.counter({
      name: 'authserver_tracing_spans_exported_total',
      help: 'Spans the OTLP collector accepted',
    }),
    dropped: metrics.counter({
      name: 'authserver_tracing_spans_dropped_total',
      help: 'Spans never exported, by reason: queue_full (ended while the export queue was full), export_failed (the collector refused them or was unreachable, after retries)',
      labelNames: ['reason'] as const,
    }),
  };
}

/** The counters and the warning line of failed exports: silence would hide that traces are being lost. */
function exportReport(api: RuntimeApi, { exported, dropped }: ReturnType<typeof exportCounters>): SpanQueueReport {
  let failing = false;
  let lastWarning = -Infinity;
  let unreported = 0;
  return {
    exported(count) {
      exported.inc(count);
      if (!failing) return;
      failing = false;
      api.log.info({ endpoint: api.config.observability.tracing.endpoint, dropped_since_warning: unreported }, 'span export recovered');
      unreported = 0;
    },
    dropped(reason, count, error) {
      dropped.inc({ reason }, count);
      unreported += count;
      if (reason === 'export_failed') failing = true;
      const now = performance.now();
      if (now - lastWarning < WARN_INTERVAL_MS) return;
      lastWarning = now;
      api.log.warn(
        { endpoint: api.config.observability.tracing.endpoint, reason, dropped: unreported, error: error?.message },
        reason === 'queue_full' ? 'span export queue full: spans dropped' : 'span export failed: spans dropped',
      );
      unreported = 0;
    },
  };
}

async function startSdk(api: RuntimeApi, counters: ReturnType<typeof exportCounters>): Promise<RunningSdk | undefined> {
  const tracing = api.config.observability.tracing;
  if (!tracing.enabled) return undefined;
  const [{ NodeSDK, tracing: sdkTracing }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const exporter = new OTLPTraceExporter({ url: tracing.endpoint, timeoutMillis: EXPORT_TIMEOUT_MS });
  const queue = new SpanQueue(exporter, { maxQueue: MAX_QUEUE, batchSize: BATCH_SIZE, delayMs: EXPORT_DELAY_MS, shutdownWaitMs: SHUTDOWN_WAIT_MS }, exportReport(api, counters));
  const sdk = new NodeSDK({
    serviceName: tracing.serviceName,
    spanProcessors: [queue],
    sampler: new sdkTracing.ParentBasedSampler({ root: new sdkTracing.TraceIdRatioBasedSampler(tracing.sampleRatio) }),
    instrumentations: [],
  });
  sdk.start();
  api.log.info({ endpoint: tracing.endpoint, sample_ratio: tracing.sampleRatio }, 'tracing enabled');
  return sdk;
}

/**
 * `observability.metrics.otlpEnabled`: the registry behind `/metrics`, pushed over OTLP/HTTP every `otlpInterval`
 * seconds by the SDK's periodic reader (metrics-bridge.ts), on a meter provider of its own — independent of tracing.
 * A failed export is a warning line (at most one a minute); `/metrics` is unaffected.
 */
async function startMetricsExport(api: RuntimeApi): Promise<RunningSdk | undefined> {
  const settings = api.config.observability.metrics;
  if (!settings.otlpEnabled) return undefined;
  const [{ metrics, resources }, { OTLPMetricExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-metrics-otlp-http'),
  ]);
  const exporter = new OTLPMetricExporter({ url: settings.otlpEndpoint, timeoutMillis: EXPORT_TIMEOUT_MS });
  let lastWarning = -Infinity;
  const reported: typeof exporter = Object.create(exporter);
  reported.export = (batch, done) =>
    exporter.export(batch, (result) => {
      if (result.code !== 0 && performance.now() - lastWarning >= WARN_INTERVAL_MS) {
        lastWarning = performance.now();
        api.log.warn({ endpoint: settings.otlpEndpoint, error: result.error?.message }, 'metrics export failed');
      }
      done(result);
    });
  const interval = settings.otlpInterval * 1000;
  const reader = new metrics.PeriodicExportingMetricReader({
    exporter: reported,
    exportIntervalMillis: interval,
    exportTimeoutMillis: Math.min(EXPORT_TIMEOUT_MS, interval),
    metricProducers: [registryProducer(api.metrics.registry, metrics, resources, Date.now())],
  });
  const provider = new metrics.MeterProvider({
    resource: resources.resourceFromAttributes({ 'service.name': api.config.observability.tracing.serviceName }),
    readers: [reader],
  });
  api.log.info({ endpoint: settings.otlpEndpoint, interval_s: settings.otlpInterval }, 'metrics export over OTLP enabled');
  return { shutdown: () => provider.shutdown() };
}
