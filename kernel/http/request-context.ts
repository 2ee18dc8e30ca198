import type { Middleware } from 'koa';
import type { ErrorStyle } from './errors.js';
import type { ListenerName } from '../hooks.js';
import type { RequestRecorder } from './request-record.js';
import { closeScope, newScope, openScope, type RequestScope } from '../observe/request-scope.js';
import type { Tracing } from '../observe/tracing.js';

export type { Tracing } from '../observe/tracing.js';

export interface RequestContextOptions {
  listener: ListenerName;
  recorder: RequestRecorder;
  clientIp: (remote: string | undefined, forwardedFor: string | undefined) => string;
  /** Only when tracing is on: a span per request. Undefined costs nothing (the API is not even loaded). */
  tracing?: Tracing;
}

/**
 * Outermost middleware: request id (echoed when it is safe, generated otherwise), the request's trace and span ids
 * (a line logged while it is handled that names its request id gets the other two), client IP, one access-log line and the HTTP metrics
 * per request, and a server span when tracing is enabled.
 */
export function requestContext(options: RequestContextOptions): Middleware {
  const { listener, tracing, recorder } = options;
  const defaultStyle = (path: string): ErrorStyle =>
    listener === 'public' && (path.startsWith('/oauth/') || path.startsWith('/.well-known/')) ? 'oauth' : 'problem';

  const handle: Middleware = async (ctx, next) => {
    const started = process.hrtime.bigint();
    const headers = ctx.req.headers;
    const requestId = recorder.requestId(headers['x-request-id'] as string | undefined);
    const path = ctx.path;
    // With tracing on, the ids are those of the exported span (which continued any incoming traceparent).
    const span = tracing?.api.trace.getActiveSpan()?.spanContext();
    const scope: RequestScope = span
      ? { request_id: requestId, trace_id: span.traceId, span_id: span.spanId }
      : newScope(requestId, headers.traceparent);
    ctx.state.requestId = requestId;
    ctx.state.scope = scope;
    ctx.state.clientIp = options.clientIp(ctx.req.socket.remoteAddress, (headers['x-forwarded-for'] as string | undefined) || undefined);
    ctx.state.errorStyle = defaultStyle(path);
    // A generated UUID or an id that passed the recorder's check: safe to set without koa's checks.
    ctx.res.setHeader('X-Request-ID', requestId);
    openScope(scope);
    try {
      await next();
    } finally {
      closeScope(scope);
      recorder.record({
        method: ctx.method,
        route: (ctx.state.route as string | undefined) ?? 'unmatched',
        path,
        status: ctx.status,
        started,
        scope,
      });
    }
  };
  if (!tracing) return handle;
  const { api, tracer } = tracing;
  return (ctx, next) => {
    const parent = api.propagation.extract(api.context.active(), ctx.headers);
    // Named by the method until routing has matched, then `<METHOD> <route template>`: never the raw path, whose
    // ids and tokens would make every span name unique (and could carry what should not be exported).
    return tracer.startActiveSpan(ctx.method, { kind: 1 }, parent, async (span) => {
      try {
        await handle(ctx, next);
      } finally {
        const route = (ctx.state.route as string | undefined) ?? 'unmatched';
        span.updateName(`${ctx.method} ${route}`);
        span.setAttributes({
          'http.request.method': ctx.method,
          'http.route': route,
          'http.response.status_code': ctx.status,
          'authplane.listener': listener,
        });
        if (ctx.status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
        span.end();
      }
    });
  };
}
