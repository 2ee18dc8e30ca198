/**
 * tracing-otel: OpenTelemetry traces over OTLP/HTTP, behind `observability.tracing.enabled` (off by default).
 * The kernel emits spans through @opentelemetry/api, a no-op until this plugin registers the SDK; the SDK itself
 * is imported only when tracing is on, so a server without tracing never loads it.
 */
import { definePlugin } from 'authplane';

export const tracingOtel = definePlugin({
  name: 'tracing-otel',
  register() {},
  async init(api) {
    const tracing = api.config.observability.tracing;
    if (!tracing.enabled) return;
    const [{ NodeSDK, tracing: sdkTracing }, { OTLPTraceExporter }] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-trace-otlp-http'),
    ]);
    const sdk = new NodeSDK({
      serviceName: tracing.serviceName,
      traceExporter: new OTLPTraceExporter({ url: tracing.endpoint }),
      sampler: new sdkTracing.ParentBasedSampler({ root: new sdkTracing.TraceIdRatioBasedSampler(tracing.sampleRatio) }),
      instrumentations: [],
    });
    sdk.start();
    sdks.set(api, sdk);
    api.log.info({ endpoint: tracing.endpoint, sample_ratio: tracing.sampleRatio }, 'tracing enabled');
  },
  async stop(api) {
    await sdks.get(api)?.shutdown();
    sdks.delete(api);
  },
});

// Keyed by the plugin's runtime API, which is one object per server, so two servers in a process stay apart.
const sdks = new WeakMap<object, { shutdown(): Promise<void> }>();
