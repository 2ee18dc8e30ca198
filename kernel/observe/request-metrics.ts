import type { Metrics } from './metrics.js';

const REQUESTS = 'authserver_http_requests_total';
const DURATION = 'authserver_http_request_duration_seconds';
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface RouteFigures {
  labels: { method: string; route: string };
  statuses: Map<number, number>;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/** The value entries prom-client's registry renders (its `MetricObjectWithValues`). */
interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * The two per-request metrics, counted in plain arrays keyed by method and route and turned into Prometheus
 * series only when scraped. prom-client's own Counter and Histogram validate and hash a label object on every
 * call, which on the cheapest endpoints cost as much as the rest of the request. The series, names and buckets
 * are the same as theirs; the metrics sit in the same registry as every other.
 */
export class RequestMetrics {
  readonly #routes = new Map<string, RouteFigures>();

  /** One per server (both listeners count into it), registered in its registry on first use. */
  static of(metrics: Metrics): RequestMetrics {
    return metrics.once(REQUESTS, () => {
      const figures = new RequestMetrics();
      figures.#register(metrics);
      return figures;
    });
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let figures = this.#routes.get(key);
    if (!figures) {
      figures = { labels: { method, route }, statuses: new Map(), buckets: new Array<number>(BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
      this.#routes.set(key, figures);
    }
    figures.statuses.set(status, (figures.statuses.get(status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++;
    figures.buckets[bucket]!++;
    figures.sum += seconds;
    figures.count++;
  }

  #register(metrics: Metrics): void {
    const requests = (): Value[] =>
      [...this.#routes.values()].flatMap((f) => [...f.statuses].map(([status, value]) => ({ labels: Object.assign({}, f.labels, { status: String(status) }), value })));
    const durations = (): Value[] =>
      [...this.#routes.values()].flatMap((f) => {
        let cumulative = 0;
        const values: Value[] = f.buckets.map((n, i) => ({
          labels: { le: i < BUCKETS.length ? BUCKETS[i]! : '+Inf', ...f.labels },
          value: (cumulative += n),
          metricName: `${DURATION}_bucket`,
        }));
        values.push({ labels: { ...f.labels }, value: f.sum, metricName: `${DURATION}_sum` });
        values.push({ labels: { ...f.labels }, value: f.count, metricName: `${DURATION}_count` });
        return values;
      });
    metrics.custom({ name: REQUESTS, help: 'HTTP requests answered, by method, route template and status', type: 'counter', labelNames: ['method', 'route', 'status'], values: requests });
    metrics.custom({ name: DURATION, help: 'HTTP request duration, by method and route template', type: 'histogram', labelNames: ['method', 'route'], values: durations });
  }
}
