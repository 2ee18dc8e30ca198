import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ListenerName } from '../hooks.js';
import { fixedInfoLine } from '../observe/logger.js';
import type { Metrics } from '../observe/metrics.js';
import type { RequestScope } from '../observe/request-scope.js';
import { RequestMetrics } from '../observe/request-metrics.js';

const VALID_REQUEST_ID = /^[\w.:@-]{1,128}$/;

export interface RequestRecord {
  method: string;
  route: string;
  path: string;
  status: number;
  started: bigint;
  /** The request's ids: request_id, trace_id, span_id. */
  scope: RequestScope;
}

/**
 * What every answered request leaves behind, whichever way it was answered (koa or the static responder): the
 * HTTP metrics and one access-log line.
 */
export function createRequestRecorder(options: { listener: ListenerName; log: Logger; metrics: Metrics }) {
  const { listener, log, metrics } = options;
  const figures = RequestMetrics.of(metrics);
  const accessLine = fixedInfoLine(log, 'request', ['listener', 'method', 'route', 'path', 'status', 'duration_ms', 'request_id', 'trace_id', 'span_id']);

  return {
    /** The caller's X-Request-ID when it is safe to echo and log, a fresh UUID otherwise. */
    requestId(incoming: string | undefined): string {
      return incoming !== undefined && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },

    record(r: RequestRecord): void {
      const seconds = Number(process.hrtime.bigint() - r.started) / 1e9;
      figures.observe(r.method, r.route, r.status, seconds);
      // Built only when it is written: at warn every request would otherwise allocate a line nobody reads.
      if (!log.isLevelEnabled('info')) return;
      accessLine({
        listener,
        method: r.method,
        route: r.route,
        path: r.path,
        status: r.status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        request_id: r.scope.request_id,
        trace_id: r.scope.trace_id,
        span_id: r.scope.span_id,
      });
    },
  };
}

export type RequestRecorder = ReturnType<typeof createRequestRecorder>;
