import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { Knex } from 'knex';

/** @opentelemetry/api, imported by the kernel only when tracing is enabled, and the tracer made from it. */
export interface Tracing {
  api: typeof import('@opentelemetry/api');
  tracer: Tracer;
}

/**
 * The API once a server with tracing on has loaded it. Process-wide, as the API's tracer provider and propagator
 * are: a span is only ever started under a request's server span (see `serviceSpan`), so a server without tracing
 * in the same process starts none.
 */
let loaded: Tracing | undefined;

/** Imports @opentelemetry/api (a no-op until tracing-otel registers the SDK) and keeps it for the service spans. */
export async function loadTracing(version: string): Promise<Tracing> {
  const api = await import('@opentelemetry/api');
  loaded = { api, tracer: api.trace.getTracer('authplane', version) };
  return loaded;
}

/** OpenTelemetry's SpanKind, spelled out: the enum lives in the API, which is not loaded when tracing is off. */
const INTERNAL = 0;
const CLIENT = 2;

/** True inside a traced request: where `serviceSpan` would start a span. A field read when tracing is off. */
export function inTrace(): boolean {
  return loaded !== undefined && loaded.api.trace.getActiveSpan() !== undefined;
}

export interface ServiceSpanOptions {
  /** `client` for a request to another service (an outbound fetch, the database). */
  kind?: 'internal' | 'client';
  attributes?: Attributes;
}

/**
 * Runs `work` inside a child span of the active span: token issuance, a storage statement, an outbound fetch. Only
 * inside a traced request: with tracing off, or outside a request's span, `work` runs alone and nothing is
 * allocated. The span ends when `work` settles and records a rejection as an error.
 */
export function serviceSpan<T>(name: string, options: ServiceSpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  const tracing = loaded;
  if (tracing === undefined || tracing.api.trace.getActiveSpan() === undefined) return work(undefined);
  const { api, tracer } = tracing;
  const kind = options.kind === 'client' ? CLIENT : INTERNAL;
  return tracer.startActiveSpan(name, { kind, attributes: options.attributes }, async (span) => {
    try {
      return await work(span);
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Adds the active trace context (`traceparent`, and `tracestate` when there is one: W3C Trace Context) to the
 * headers of an outbound request, so the service called joins this request's trace. Nothing without tracing.
 */
export function injectTraceContext(headers: Record<string, string>): void {
  const tracing = loaded;
  if (tracing === undefined || tracing.api.trace.getActiveSpan() === undefined) return;
  tracing.api.propagation.inject(tracing.api.context.active(), headers);
}

/**
 * A span for a statement knex runs, started when knex emits `query` (in the caller's async context, so under the
 * caller's span) and ended on `query-response` or `query-error`. Only inside a traced request.
 */
export function traceKnexQueries(db: Knex, system: string): void {
  const open = new Map<string, Span>();
  type Query = { __knexQueryUid?: string; sql?: string; method?: string };
  db.on('query', (query: Query) => {
    const tracing = loaded;
    if (tracing === undefined || query.__knexQueryUid === undefined || tracing.api.trace.getActiveSpan() === undefined) return;
    const operation = (query.method ?? 'query').toUpperCase();
    const table = typeof query.sql === 'string' ? tableOf(query.sql) : undefined;
    const attributes: Attributes = { 'db.system.name': system, 'db.operation.name': operation };
    if (table) attributes['db.collection.name'] = table;
    if (typeof query.sql === 'string') attributes['db.query.text'] = query.sql;
    open.set(query.__knexQueryUid, tracing.tracer.startSpan(table ? `${operation} ${table}` : operation, { kind: CLIENT, attributes }));
  });
  const end = (failed: boolean) => (_: unknown, query: Query) => {
    const span = query?.__knexQueryUid === undefined ? undefined : open.get(query.__knexQueryUid);
    if (!span) return;
    open.delete(query.__knexQueryUid!);
    if (failed) span.setStatus({ code: 2 });
    span.end();
  };
  db.on('query-response', end(false));
  db.on('query-error', end(true));
}

/** The table a statement reads or writes, for the span's name (`SELECT clients`); bound values never appear. */
function tableOf(sql: string): string | undefined {
  const match = /\b(?:from|into|update|join)\s+[`"[]?([\w.]+)/i.exec(sql);
  return match?.[1];
}
