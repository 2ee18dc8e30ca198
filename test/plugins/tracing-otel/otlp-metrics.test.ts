import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tracingOtel } from 'authplane/plugins';
import { waitFor } from '../../helpers/wait.js';
import { machineServer, requestMachineToken } from '../client-credentials/setup.js';
import { startCollector } from './collector.js';

interface OtlpPoint {
  attributes?: { key: string; value: { stringValue?: string } }[];
  asDouble?: number;
  asInt?: string | number;
  count?: string | number;
  sum?: number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
}
interface OtlpMetric {
  name: string;
  sum?: { dataPoints: OtlpPoint[]; isMonotonic?: boolean };
  gauge?: { dataPoints: OtlpPoint[] };
  histogram?: { dataPoints: OtlpPoint[] };
}
type MetricsExport = { resourceMetrics: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeMetrics: { metrics: OtlpMetric[] }[] }[] };

const label = (point: OtlpPoint, key: string) => point.attributes?.find((a) => a.key === key)?.value.stringValue;

test('with observability.metrics.otlpEnabled the registry behind /metrics is pushed over OTLP: counters as sums, histograms with their buckets', async (t) => {
  const collector = await startCollector(t);
  const endpoint = collector.endpoint.replace('/v1/traces', '/v1/metrics');
  const fx = await machineServer(t, {
    extra: [tracingOtel()],
    env: { AUTHPLANE_OBSERVABILITY_METRICS_OTLP_ENABLED: 'true', AUTHPLANE_OBSERVABILITY_METRICS_OTLP_ENDPOINT: endpoint, AUTHPLANE_OBSERVABILITY_METRICS_OTLP_INTERVAL: '1' },
  });
  const client = await fx.createMachineClient();
  for (let i = 0; i < 3; i++) assert.equal((await requestMachineToken(fx.url, client)).status, 200);
  // Periodic exports run while the server does; stopping it exports once more, with every request counted.
  await waitFor('a periodic metrics export', () => collector.metricExports.length > 0);
  await fx.server.stop();

  const last = collector.metricExports.at(-1) as MetricsExport;
  const resource = last.resourceMetrics[0]!;
  assert.equal(resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue, 'authplane');
  const metrics = new Map(last.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).map((m) => [m.name, m]));

  const issued = metrics.get('authserver_tokens_issued_total');
  assert.ok(issued?.sum, `a sum: ${JSON.stringify(issued)}`);
  assert.equal(issued.sum.isMonotonic, true);
  const cc = issued.sum.dataPoints.find((p) => label(p, 'grant_type') === 'client_credentials');
  assert.equal(Number(cc?.asDouble ?? cc?.asInt), 3);

  const duration = metrics.get('authserver_http_request_duration_seconds');
  const tokenRoute = duration?.histogram?.dataPoints.find((p) => label(p, 'route') === '/oauth/token' && label(p, 'method') === 'POST');
  assert.ok(tokenRoute, `the token route's histogram: ${JSON.stringify(duration)}`);
  assert.equal(Number(tokenRoute.count), 3);
  assert.equal(tokenRoute.bucketCounts!.length, tokenRoute.explicitBounds!.length + 1, 'a count per bucket and one above the last bound');
  assert.equal(tokenRoute.bucketCounts!.reduce((a: number, b) => a + Number(b), 0), 3, 'per-bucket counts, not cumulative');
  assert.ok(metrics.get('nodejs_heap_size_used_bytes')?.gauge, 'gauges as gauges');
});
