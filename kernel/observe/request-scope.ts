import { randomFillSync } from 'node:crypto';

/**
 * The ids every log line written on behalf of a request carries: its request id and its W3C trace context (the trace
 * it belongs to and the server span that is this request). They are made whether or not traces are exported, so
 * the lines of one request — access log, errors, audit, a plugin's lines that name the request — can be found
 * together, and joined to the caller's trace when it sent a `traceparent`.
 */
export interface RequestScope {
  request_id: string;
  trace_id: string;
  span_id: string;
}

/**
 * The requests being handled, by request id: a line that names its request (`request_id`) gets that request's trace
 * and span ids from here. Not an AsyncLocalStorage: on node 20 one switches on the promise hooks for every promise
 * in the process, a cost every request pays (measured in docs/performance.md).
 * A dictionary object, not a Map: a Map that gains and loses an entry per request is rehashed every few dozen
 * requests, and its replaced tables kept request scopes alive through the young generation's collections until a
 * full one (docs/performance.md, "What is promoted").
 */
const live: Record<string, RequestScope | undefined> = Object.create(null);

/** From the start of a request until `closeScope`, lines naming its request id carry its trace and span ids. */
export function openScope(scope: RequestScope): void {
  live[scope.request_id] = scope;
}

export function closeScope(scope: RequestScope): void {
  // Two requests may share a caller's X-Request-ID: only the one registered removes the entry.
  if (live[scope.request_id] === scope) delete live[scope.request_id];
}

/** The scope of a request being handled, by its request id. */
export function liveScope(requestId: string): RequestScope | undefined {
  return live[requestId];
}

/** 16 bytes of trace id and 8 of span id per request, drawn from one buffer refilled now and then. */
const POOL = Buffer.alloc(24 * 512);
let offset = POOL.length;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  return POOL.toString('hex', start, offset);
}

const ALL_ZERO = /^0+$/;
/** W3C Trace Context §3.2: `version-traceid-parentid-flags`; version ff and all-zero ids are invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-|$)/;

/** The trace id of a valid incoming `traceparent`, to continue that trace. */
export function incomingTraceId(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent);
  if (!match || match[1] === 'ff' || ALL_ZERO.test(match[2]!) || ALL_ZERO.test(match[3]!)) return undefined;
  // Version 00 has exactly four fields; a later version may append more.
  if (match[1] === '00' && traceparent.length !== 55) return undefined;
  return match[2];
}

/** A scope for a request the server is not exporting a span for: the caller's trace (or a new one), a new span. */
export function newScope(requestId: string, traceparent: string | string[] | undefined): RequestScope {
  return {
    request_id: requestId,
    trace_id: incomingTraceId(traceparent) ?? nonZero(16),
    span_id: nonZero(8),
  };
}

function nonZero(bytes: number): string {
  let id = randomHex(bytes);
  while (ALL_ZERO.test(id)) id = randomHex(bytes);
  return id;
}

/** Marks "nothing to add": pino's mixin result, returned as is (never written to). */
const NONE: object = Object.freeze({});

/**
 * pino's `mixin` and `mixinMergeStrategy`: a line that names a request being handled (`request_id`) and no trace of
 * its own gets that request's `trace_id` and `span_id`. One map lookup per such line; nothing for the others.
 */
export const scopeMixin = {
  mixin(line: object): object {
    const { request_id: id, trace_id: traceId } = line as { request_id?: unknown; trace_id?: unknown };
    if (typeof id !== 'string' || traceId !== undefined) return NONE;
    const scope = live[id];
    return scope ? { trace_id: scope.trace_id, span_id: scope.span_id } : NONE;
  },
  mixinMergeStrategy(merge: object, mixin: object): object {
    return mixin === NONE ? merge : Object.assign(mixin, merge);
  },
};
