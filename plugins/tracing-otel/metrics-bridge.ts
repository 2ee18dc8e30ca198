import type { metrics as sdkMetrics, resources as sdkResources } from '@opentelemetry/sdk-node';
import type { Registry } from 'prom-client';

type Sdk = typeof sdkMetrics;
type MetricData = sdkMetrics.MetricData;
type HrTime = [number, number];

interface PromValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}
interface PromMetric {
  name: string;
  help: string;
  type: string;
  values: PromValue[];
}

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
const attributes = (labels: Record<string, string | number>, without?: string) =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => k !== without).map(([k, v]) => [k, String(v)]));

/**
 * The server's prom-client registry as an OpenTelemetry MetricProducer: one set of metrics, read at `/metrics` and
 * pushed over OTLP by the SDK's periodic reader, so the two can never disagree. Counters become cumulative monotonic
 * sums, gauges gauges, histograms explicit-bucket histograms (prom-client's cumulative buckets turned into counts
 * per bucket).
 */
export function registryProducer(registry: Registry, sdk: Sdk, resources: typeof sdkResources, startedAt: number): sdkMetrics.MetricProducer {
  const start = hrTime(startedAt);
  return {
    async collect() {
      const end = hrTime(Date.now());
      const all = (await registry.getMetricsAsJSON()) as unknown as PromMetric[];
      const converted = all.flatMap((metric) => convert(metric, sdk, start, end));
      return {
        resourceMetrics: { resource: resources.emptyResource(), scopeMetrics: [{ scope: { name: 'authplane' }, metrics: converted }] },
        errors: [],
      };
    },
  };
}

function convert(metric: PromMetric, sdk: Sdk, startTime: HrTime, endTime: HrTime): MetricData[] {
  // valueType 1: the API's ValueType.DOUBLE (prom-client keeps every value as a double).
  const descriptor = { name: metric.name, description: metric.help, unit: '', valueType: 1 };
  if (metric.type === 'counter' || metric.type === 'gauge') {
    const dataPoints = metric.values.map((v) => ({ startTime, endTime, attributes: attributes(v.labels), value: v.value }));
    return [
      metric.type === 'counter'
        ? { descriptor, aggregationTemporality: sdk.AggregationTemporality.CUMULATIVE, dataPointType: sdk.DataPointType.SUM, isMonotonic: true, dataPoints }
        : { descriptor, aggregationTemporality: sdk.AggregationTemporality.CUMULATIVE, dataPointType: sdk.DataPointType.GAUGE, dataPoints },
    ] as MetricData[];
  }
  if (metric.type !== 'histogram') return []; // prom-client summaries: none registered
  const series = new Map<string, { labels: Record<string, string>; buckets: [number, number][]; sum: number; count: number }>();
  for (const v of metric.values) {
    const labels = attributes(v.labels, 'le');
    const key = JSON.stringify(labels);
    let one = series.get(key);
    if (!one) series.set(key, (one = { labels, buckets: [], sum: 0, count: 0 }));
    if (v.metricName?.endsWith('_bucket')) one.buckets.push([v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), v.value]);
    else if (v.metricName?.endsWith('_sum')) one.sum = v.value;
    else if (v.metricName?.endsWith('_count')) one.count = v.value;
  }
  const dataPoints = [...series.values()].map(({ labels, buckets, sum, count }) => {
    buckets.sort((a, b) => a[0] - b[0]);
    const boundaries = buckets.filter(([le]) => le !== Infinity).map(([le]) => le);
    const counts = buckets.map(([, cumulative], i) => cumulative - (i > 0 ? buckets[i - 1]![1] : 0));
    if (counts.length === boundaries.length) counts.push(count - (buckets.at(-1)?.[1] ?? 0)); // no +Inf bucket given
    return { startTime, endTime, attributes: labels, value: { buckets: { boundaries, counts }, sum, count } };
  });
  return [
    { descriptor, aggregationTemporality: sdk.AggregationTemporality.CUMULATIVE, dataPointType: sdk.DataPointType.HISTOGRAM, dataPoints },
  ] as MetricData[];
}
