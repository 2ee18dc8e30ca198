/**
 * docs/metrics.md from the metrics registry: a server is constructed (registered, not booted) with every built-in
 * plugin, and every metric in its registry is listed with its type, labels and help. Metrics are declared when the
 * kernel and the plugins register, so the list is complete without a database or a request; the plugin that
 * declares each one is found by registering it alone (with what it depends on).
 */
import { Writable } from 'node:stream';
import { AuthPlane, type PluginInstance } from 'authplane';
import type { MetricDefinition } from '../../kernel/observe/metrics.js';
import type { BuiltinPlugin } from './builtin-plugins.js';
import { code, document, GENERATED_BANNER, table } from './markdown.js';

/**
 * Options for the plugins that cannot be constructed without some (a required field in their schema): only enough to
 * register them. A plugin added with a required option fails `npm run docs` loudly until it gets a line here.
 */
const REQUIRED_OPTIONS: Readonly<Record<string, object>> = {
  'audit-webhook': { url: 'https://audit.example.com/events' },
};

/** Environment variables such plugins check when they register (placeholders: the server never boots). */
const REQUIRED_ENV: Readonly<Record<string, string>> = {
  AUTHPLANE_AUDIT_WEBHOOK_SECRET: 'docs-placeholder-secret-of-32-characters',
};

const instantiate = (plugin: BuiltinPlugin): PluginInstance => plugin.factory!(REQUIRED_OPTIONS[plugin.definition.name]);

/** A server's log goes nowhere: constructing one for its registry must print nothing. */
const silent = () => new Writable({ write: (_chunk, _encoding, done) => done() });

function definitions(plugins: PluginInstance[]): MetricDefinition[] {
  const server = new AuthPlane({ plugins }, { env: { ...REQUIRED_ENV }, logLevel: 'silent', logDestination: silent() as never, servingWarnings: false });
  return server.metrics.definitions();
}

/** Which plugin declares each metric: registered with its dependencies, the metrics it adds to theirs. */
function owners(plugins: BuiltinPlugin[], kernel: Set<string>): Map<string, string[]> {
  const byName = new Map(plugins.map((p) => [p.definition.name, p]));
  const withDependencies = (plugin: BuiltinPlugin, seen = new Set<string>()): PluginInstance[] => {
    if (seen.has(plugin.definition.name) || !plugin.factory) return [];
    seen.add(plugin.definition.name);
    return [...dependencies(plugin, seen), instantiate(plugin)];
  };
  const dependencies = (plugin: BuiltinPlugin, seen = new Set<string>([plugin.definition.name])): PluginInstance[] =>
    (plugin.definition.dependsOn ?? []).flatMap((name) => {
      const dep = byName.get(name);
      return dep ? withDependencies(dep, seen) : [];
    });
  const owner = new Map<string, string[]>();
  for (const plugin of plugins) {
    let added: MetricDefinition[];
    let before: Set<string>;
    try {
      added = definitions(withDependencies(plugin));
      before = new Set(definitions(dependencies(plugin)).map((m) => m.name));
    } catch {
      continue;
    }
    for (const metric of added) {
      if (!kernel.has(metric.name) && !before.has(metric.name)) owner.set(metric.name, [...(owner.get(metric.name) ?? []), plugin.definition.name]);
    }
  }
  return owner;
}

const isProcessMetric = (name: string) => name.startsWith('process_') || name.startsWith('nodejs_');

export function renderMetrics(plugins: BuiltinPlugin[]): string {
  const all = definitions(plugins.flatMap((p) => (p.factory ? [instantiate(p)] : [])));
  const kernel = new Set(definitions([]).map((m) => m.name));
  const owner = owners(plugins, kernel);
  const row = (m: MetricDefinition) => [code(m.name), m.type, m.labels.length ? m.labels.map(code).join(', ') : '—', kernel.has(m.name) ? 'kernel' : (owner.get(m.name) ?? []).map(code).join(', '), m.help];
  const ours = all.filter((m) => !isProcessMetric(m.name));
  const processMetrics = all.filter((m) => isProcessMetric(m.name));
  return document([
    GENERATED_BANNER('the metrics registry of a server with every built-in plugin (scripts/docs/metrics.ts)'),
    '# Metrics',
    'Every metric the server exports: in the Prometheus text format at `GET /metrics` on the admin listener, and over ' +
      'OTLP when `observability.metrics.otlpEnabled` is on ([observability.md](observability.md)). A histogram also has its `le` label (bucket bound) and ' +
      '`_sum` and `_count` series. A metric of a plugin exists only when the plugin is enabled; a labelled series appears ' +
      'once it has a value.',
    '## AuthPlane',
    table(['Name', 'Type', 'Labels', 'Declared by', 'Help'], ours.map(row)),
    '## Process',
    'Collected by prom-client for the Node.js process (`collectDefaultMetrics`).',
    table(['Name', 'Type', 'Labels', 'Help'], processMetrics.map((m) => [code(m.name), m.type, m.labels.length ? m.labels.map(code).join(', ') : '—', m.help])),
  ]);
}
