/**
 * An OTLP/HTTP collector on loopback for the tracing tests: it decodes what the exporter sends (OTLP's JSON
 * encoding, the exporter's default) and answers as told — accept, refuse with a status, or hold every request open.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ExportedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  serviceName: string;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: (Omit<ExportedSpan, 'attributes' | 'serviceName'> & { attributes?: OtlpAttribute[] })[] }[];
  }[];
}

const attributes = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : value.boolValue ?? value.doubleValue)]));

export interface Collector {
  endpoint: string;
  spans: ExportedSpan[];
  /** Export requests received (whatever was answered). */
  requests: number;
  /** Export requests being held open (`answer: 'hang'`). */
  held: ServerResponse[];
  /** The bodies of metric exports (`/v1/metrics`), as sent (OTLP JSON). */
  metricExports: unknown[];
  /** How the next export requests are answered; a test may change it. */
  answer: 'accept' | 'hang' | number;
}

export async function startCollector(t: TestContext, answer: 'accept' | 'hang' | number = 'accept'): Promise<Collector> {
  const collector: Collector = { endpoint: '', spans: [], requests: 0, held: [], metricExports: [], answer };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      collector.requests++;
      const answer = collector.answer;
      if (answer === 'hang') {
        collector.held.push(res);
        return;
      }
      if (answer !== 'accept') {
        res.writeHead(answer, { 'content-type': 'application/json' }).end('{"code":13,"message":"collector refuses"}');
        return;
      }
      if (req.url === '/v1/metrics') {
        collector.metricExports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
      for (const resource of body.resourceSpans ?? []) {
        const serviceName = String(attributes(resource.resource?.attributes)['service.name']);
        for (const scope of resource.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            collector.spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: attributes(span.attributes),
              serviceName,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const res of collector.held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  collector.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return collector;
}
