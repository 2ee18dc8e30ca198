/**
 * tracing-otel: OpenTelemetry traces over OTLP/HTTP, behind `observability.tracing.enabled` (off by default).
 * The kernel emits spans through @opentelemetry/api, a no-op until this plugin registers the SDK; the SDK itself
 * is imported only when tracing is on, so a server without tracing never loads it.
 */
import { definePlugin, type RuntimeApi } from 'authplane';

interface RunningSdk {
  shutdown(): Promise<void>;
}

export const tracingOtel = definePlugin({
  name: 'tracing-otel',
  register() {
    // This server's SDK once init started it: register runs once per server, so two servers stay apart.
    let sdk: RunningSdk | undefined;
    return {
      async init(api) {
        sdk = await startSdk(api);
      },
      async stop() {
        await sdk?.shutdown();
        sdk = undefined;
      },
    };
  },
});

async function startSdk(api: RuntimeApi): Promise<RunningSdk | undefined> {
  const tracing = api.config.observability.tracing;
  if (!tracing.enabled) return undefined;
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
  api.log.info({ endpoint: tracing.endpoint, sample_ratio: tracing.sampleRatio }, 'tracing enabled');
  return sdk;
}
