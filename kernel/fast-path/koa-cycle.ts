import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, Readable, Stream } from 'node:stream';
import type Koa from 'koa';
import type { Context, Middleware } from 'koa';
import { writeAfterReads } from './turn-writes.js';

/** RFC 9110 §15.3.5, §15.3.6, §15.4.5: these statuses never carry content. */
const NO_CONTENT = new Set([204, 205, 304]);

type Composer = (middleware: Middleware[]) => (ctx: Context) => Promise<unknown>;

/**
 * One request through a koa app, as `app.callback()` runs it — a koa context, the app's middleware composed by koa,
 * then the response written from `ctx.body` — but without the `on-finished` watch koa puts on every response
 * (listeners on the response and its socket, an AsyncResource per request: a cost every request pays, see
 * docs/performance.md). All that watch reports is a socket error to `ctx.onerror`, which for this silent app logs
 * nothing; node's HTTP server handles the socket error itself. Invariant: what goes on the wire is what koa's own
 * cycle writes, for every kind of body (test/kernel/koa-cycle.test.ts compares them). Errors thrown by middleware or
 * while writing still go to `ctx.onerror`, as in koa; should that throw as well, the response's connection is closed
 * rather than the process. The response is written with the turn's others once the loop has read its requests
 * (`writeAfterReads`, turn-writes.ts).
 */
export function koaRequestHandler(app: Koa): (req: IncomingMessage, res: ServerResponse) => void {
  const run = (app as unknown as { compose: Composer }).compose(app.middleware);
  // ctx.onerror emits 'error' on the app; an EventEmitter without a listener would throw instead.
  if (app.listenerCount('error') === 0) app.on('error', (err: Error) => app.onerror(err));
  return (req, res) => {
    const ctx = app.createContext(req, res);
    res.statusCode = 404;
    const failed = (err: unknown) => reportOrClose(ctx, err);
    run(ctx).then(() => writeAfterReads(() => respondOrReport(ctx), failed), failed);
  };
}

function respondOrReport(ctx: Context): void {
  try {
    respond(ctx);
  } catch (err) {
    ctx.onerror(err as Error);
  }
}

/**
 * `ctx.onerror`, and when that throws too (koa's sets the error's own headers, which node may refuse) the connection
 * is closed: one response that cannot be written never becomes an uncaught exception.
 */
function reportOrClose(ctx: Context, err: unknown): void {
  try {
    ctx.onerror(err as Error);
  } catch {
    ctx.res.destroy();
  }
}

/** Writes `ctx.body` the way koa does: strings and buffers as they are, streams piped, anything else as JSON. */
function respond(ctx: Context): void {
  if (ctx.respond === false) return;
  const res = ctx.res;
  if (!ctx.writable) {
    res.end();
    return;
  }
  const status = res.statusCode;
  const body: unknown = ctx.body;
  if (NO_CONTENT.has(status)) {
    ctx.body = null;
    res.end();
    return;
  }
  if (ctx.method === 'HEAD') {
    if (!res.headersSent && !res.hasHeader('Content-Length')) {
      const length = ctx.response.length;
      if (Number.isInteger(length)) ctx.length = length;
    }
    res.end();
    return;
  }
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    res.end(body);
    return;
  }
  if (body === null || body === undefined) {
    if ((ctx.response as { _explicitNullBody?: boolean })._explicitNullBody) {
      ctx.response.remove('Content-Type');
      ctx.response.remove('Transfer-Encoding');
      ctx.length = 0;
      res.end();
      return;
    }
    // The status line's reason as the body (HTTP/2 has no reason phrase).
    const text = ctx.req.httpVersionMajor >= 2 ? String(status) : ctx.message || String(status);
    if (!res.headersSent) {
      ctx.type = 'text';
      ctx.length = Buffer.byteLength(text);
    }
    res.end(text);
    return;
  }
  const stream = asStream(body);
  if (stream) {
    pipeline(stream, res, (err) => {
      if (err && ctx.app.listenerCount('error')) ctx.onerror(err);
    });
    return;
  }
  const json = JSON.stringify(body);
  if (!res.headersSent) ctx.length = Buffer.byteLength(json);
  res.end(json);
}

/**
 * A body koa would stream: a node stream, or a web Blob, ReadableStream or Response. Plain objects and arrays are
 * JSON and return before the web globals are touched (the first touch of `Response` loads node's fetch).
 */
function asStream(body: unknown): Readable | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  if (body instanceof Stream || isReadableLike(body)) return body as Readable;
  const proto: unknown = Object.getPrototypeOf(body);
  if (proto === Object.prototype || proto === null || Array.isArray(body)) return undefined;
  if (body instanceof Blob) return Readable.from(body.stream());
  if (body instanceof ReadableStream) return Readable.from(body);
  if (body instanceof Response) return Readable.from(body.body ?? '');
  return undefined;
}

/** A readable stream from another copy of node's stream module: the same duck test koa applies. */
function isReadableLike(body: object): boolean {
  const r = body as Partial<Record<'pipe' | 'read' | 'destroy' | 'readable' | 'readableObjectMode' | 'destroyed', unknown>>;
  return (
    r.readable === true &&
    typeof r.pipe === 'function' &&
    typeof r.read === 'function' &&
    typeof r.destroy === 'function' &&
    typeof r.readableObjectMode === 'boolean' &&
    typeof r.destroyed === 'boolean'
  );
}
