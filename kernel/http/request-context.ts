import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Tracer } from '@opentelemetry/api';
import type { Metrics } from '../observe/metrics.js';
import type { ErrorStyle } from './errors.js';
import type { ListenerName } from '../hooks.js';

const VALID_REQUEST_ID = /^[\w.:@-]{1,128}$/;

export interface RequestContextOptions {
  listener: ListenerName;
  log: Logger;
  metrics: Metrics;
  clientIp: (remote: string | undefined, forwardedFor: string | undefined) => string;
  /** Only when tracing is on: a span per request. Undefined costs nothing (the API is not even loaded). */
  tracing?: Tracing;
}

/** @opentelemetry/api, imported by the kernel only when tracing is enabled, and the tracer made from it. */
export interface Tracing {
  api: typeof import('@opentelemetry/api');
  tracer: Tracer;
}

/**
 * Outermost middleware: request id (echoed when it is safe, generated otherwise), client IP, one access-log line
 * and the HTTP metrics per request, and a server span when tracing is enabled.
 */
export function requestContext(options: RequestContextOptions): Middleware {
  const { log, metrics, listener, tracing } = options;
  const requests = metrics.counter({
    name: 'authserver_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
  });
  const duration = metrics.histogram({
    name: 'authserver_http_request_duration_seconds',
    help: 'HTTP request duration, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const defaultStyle = (path: string): ErrorStyle =>
    listener === 'public' && (path.startsWith('/oauth/') || path.startsWith('/.well-known/')) ? 'oauth' : 'problem';

  const handle: Middleware = async (ctx, next) => {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const requestId = VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.clientIp = options.clientIp(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for') || undefined);
    ctx.state.errorStyle = defaultStyle(ctx.path);
    // A generated UUID or an id that passed VALID_REQUEST_ID: safe to set without koa's checks.
    ctx.res.setHeader('X-Request-ID', requestId);
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx.state.route as string | undefined) ?? 'unmatched';
      requests.inc({ method: ctx.method, route, status: String(ctx.status) });
      duration.observe({ method: ctx.method, route }, seconds);
      // Built only when it is written: at warn every request would otherwise allocate a line nobody reads.
      if (log.isLevelEnabled('info')) accessLog(ctx, route, seconds, requestId);
    }
  };
  const accessLog = (ctx: Parameters<Middleware>[0], route: string, seconds: number, requestId: string) => {
    const span = tracing ? tracing.api.trace.getActiveSpan()?.spanContext() : undefined;
    log.info(
      {
        listener,
        method: ctx.method,
        route,
        path: ctx.path,
        status: ctx.status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        request_id: requestId,
        ...(span ? { trace_id: span.traceId, span_id: span.spanId } : {}),
      },
      'request',
    );
  };
  if (!tracing) return handle;
  const { api, tracer } = tracing;
  return (ctx, next) => {
    const parent = api.propagation.extract(api.context.active(), ctx.headers);
    return tracer.startActiveSpan(`${ctx.method} ${ctx.path}`, { kind: 1 }, parent, async (span) => {
      try {
        await handle(ctx, next);
        span.setAttributes({
          'http.request.method': ctx.method,
          'http.route': (ctx.state.route as string | undefined) ?? 'unmatched',
          'http.response.status_code': ctx.status,
        });
        if (ctx.status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
        if (ctx.state.route) span.updateName(`${ctx.method} ${ctx.state.route}`);
      } finally {
        span.end();
      }
    });
  };
}
