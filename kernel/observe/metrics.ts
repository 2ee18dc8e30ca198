import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricDefinition {
  name: string;
  type: string;
  labels: string[];
  help: string;
}

type CounterConfig<L extends string> = { name: string; help: string; labelNames?: readonly L[] };
type HistogramConfig<L extends string> = CounterConfig<L> & { buckets?: number[] };

/**
 * One prom-client registry per server instance (not the global one), so two servers in one process — tests —
 * keep separate figures. Asking twice for the same name returns the same metric.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #metrics = new Map<string, unknown>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string = never>(config: CounterConfig<L>): Counter<L> {
    return this.#once(config.name, () => new Counter({ ...config, labelNames: config.labelNames ?? [], registers: [this.registry] }));
  }

  histogram<L extends string = never>(config: HistogramConfig<L>): Histogram<L> {
    return this.#once(
      config.name,
      () => new Histogram({ ...config, labelNames: config.labelNames ?? [], registers: [this.registry] }),
    );
  }

  gauge<L extends string = never>(config: CounterConfig<L> & { collect?: (this: Gauge<L>) => void }): Gauge<L> {
    return this.#once(config.name, () => new Gauge({ ...config, labelNames: config.labelNames ?? [], registers: [this.registry] }));
  }

  /**
   * A metric computed at scrape time, for figures the kernel keeps itself (see request-metrics.ts). The registry
   * renders whatever `get()` returns, as for its own metric classes.
   */
  custom(metric: { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; labelNames: readonly string[]; values: () => unknown[] }): void {
    this.#once(metric.name, () => {
      const entry = {
        name: metric.name,
        help: metric.help,
        type: metric.type,
        labelNames: metric.labelNames,
        aggregator: 'sum',
        get: () => ({ name: entry.name, help: metric.help, type: metric.type, aggregator: 'sum', values: metric.values() }),
      };
      this.registry.registerMetric(entry as unknown as Parameters<Registry['registerMetric']>[0]);
      return entry;
    });
  }

  /** Every metric registered so far, for docs/metrics.md: name, type, labels (a histogram's `le` not among them) and help. */
  definitions(): MetricDefinition[] {
    return (this.registry.getMetricsAsArray() as unknown as { name: string; help: string; type: string; labelNames?: readonly string[] }[])
      .map((m) => ({ name: m.name, type: String(m.type), labels: [...(m.labelNames ?? [])], help: m.help }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Asking twice for `name` gives the first answer. */
  once<T>(name: string, create: () => T): T {
    return this.#once(`once:${name}`, create);
  }

  #once<T>(name: string, create: () => T): T {
    let metric = this.#metrics.get(name) as T | undefined;
    if (!metric) {
      metric = create();
      this.#metrics.set(name, metric);
    }
    return metric;
  }
}
