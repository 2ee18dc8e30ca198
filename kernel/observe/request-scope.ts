import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';

/**
 * The ids every log line written on behalf of a request carries: its request id and its W3C trace context (the trace
 * it belongs to and the server span that is this request). They are made whether or not traces are exported, so
 * the lines of one request — access log, errors, audit, a plugin's warnings — can be found together, and joined to
 * the caller's trace when it sent a `traceparent`.
 */
export interface RequestScope {
  request_id: string;
  trace_id: string;
  span_id: string;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** Runs `work` (and everything it awaits or schedules) as part of the request `scope`. */
export function runInScope<T>(scope: RequestScope, work: () => T): T {
  return scopes.run(scope, work);
}

/** Runs `work` outside any request: batched work (a group commit) serves many requests and is none of them. */
export function runOutsideRequests<T>(work: () => T): T {
  // Not `exit()`, which switches node's async hooks off and on again around `work`.
  return scopes.run(undefined as unknown as RequestScope, work);
}

/** The request the current code runs for, if any. */
export function currentScope(): RequestScope | undefined {
  return scopes.getStore();
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

/** Marks "no request": pino's mixin result, returned as is (never written to). */
const NONE: object = Object.freeze({});

/**
 * pino's `mixin` and `mixinMergeStrategy`: a line logged inside a request gets its three ids; a field the line sets
 * itself wins, unless it is null or undefined (an audit event without a request id still names the request).
 */
export const scopeMixin = {
  mixin(): object {
    const scope = scopes.getStore();
    return scope ? { request_id: scope.request_id, trace_id: scope.trace_id, span_id: scope.span_id } : NONE;
  },
  mixinMergeStrategy(merge: object, mixin: object): object {
    if (mixin === NONE) return merge;
    const line = mixin as Record<string, unknown>;
    const { request_id, trace_id, span_id } = line;
    Object.assign(line, merge);
    line.request_id ??= request_id;
    line.trace_id ??= trace_id;
    line.span_id ??= span_id;
    return line;
  },
};
