import type { Context, Middleware } from 'koa';
import { InvalidRequest, ProblemError } from '../errors.js';
import type { FormParams } from '../contracts.js';
import { formPairs } from './form-urlencoded.js';

export type ParsedBody =
  | { kind: 'none' }
  | { kind: 'form'; pairs: [string, string][] }
  | { kind: 'json'; text: string }
  | { kind: 'other'; type: string };

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Shared by every request without a body; frozen, as it is one object for all of them. */
const NO_BODY: ParsedBody = Object.freeze({ kind: 'none' });

/** Reads the request body once, refusing anything over the cap before it is buffered whole. */
export function bodyReader(limit: number): Middleware {
  return async (ctx, next) => {
    ctx.state.body = NO_BODY;
    if (!METHODS_WITH_BODY.has(ctx.method)) return next();
    const declared = Number(ctx.get('content-length') || 0);
    const chunked = ctx.get('transfer-encoding') !== '';
    if (declared > 0 || chunked) {
      if (declared > limit) throw tooLarge(limit);
      const raw = await readLimited(ctx, limit);
      const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
      const text = raw.toString('utf8');
      if (type === 'application/x-www-form-urlencoded') {
        ctx.state.body = { kind: 'form', pairs: formPairs(text) } satisfies ParsedBody;
      } else if (type === 'application/json' || type.endsWith('+json')) {
        ctx.state.body = { kind: 'json', text } satisfies ParsedBody;
      } else {
        ctx.state.body = { kind: 'other', type } satisfies ParsedBody;
      }
    }
    await next();
  };
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError(413, 'Payload Too Large', `request body exceeds ${limit} bytes`);
}

/** Event listeners rather than `for await`: the async iterator costs more than the rest of reading a small body. */
function readLimited(ctx: Context, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = ctx.req;
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // The rest is read and dropped; the connection closes after the 413.
        req.resume();
        ctx.set('Connection', 'close');
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // The client went away before the body was complete.
    const onClose = () => {
      if (req.complete) return;
      cleanup();
      reject(new ProblemError(400, 'Bad Request', 'the request body was not received completely'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The form parameters of an OAuth request. RFC 6749 §3.2: parameters sent without a value are treated as omitted,
 * and a parameter must not be included more than once.
 */
export function readForm(ctx: Context, options: { allowQuery?: boolean } = {}): FormParams {
  const body = ctx.state.body as ParsedBody;
  let source: [string, string][];
  if (body.kind === 'form') source = body.pairs;
  else if (body.kind === 'none' && options.allowQuery) source = formPairs(ctx.querystring);
  else if (body.kind === 'none') source = [];
  else throw new InvalidRequest('the request body must be application/x-www-form-urlencoded');
  return singleValued(source);
}

/**
 * The query parameters of a request, each at most once (RFC 6749 §3.1) — koa's `ctx.query` would hand a repeated
 * one over as an array. A repeated parameter is `invalid_request` naming it: JSON on OAuth routes, a 400 page on
 * `errors: 'page'` routes.
 */
export function readQuery(ctx: Context): FormParams {
  return singleValued(formPairs(ctx.querystring));
}

/** RFC 6749 §3.1: a parameter without a value counts as omitted, so only valued ones can be repeated. */
function singleValued(source: [string, string][]): FormParams {
  const params: Record<string, string> = Object.create(null);
  for (const [key, value] of source) {
    if (value === '') continue;
    if (key in params) throw new InvalidRequest(`parameter '${key}' is included more than once`);
    params[key] = value;
  }
  return params;
}

/** A JSON request body (admin API); anything else is a 400 or 415 problem. */
export function readJson<T = Record<string, unknown>>(ctx: Context): T {
  const body = ctx.state.body as ParsedBody;
  if (body.kind === 'none') throw new ProblemError(400, 'Bad Request', 'a JSON request body is required');
  if (body.kind !== 'json') {
    throw new ProblemError(415, 'Unsupported Media Type', 'the request body must be application/json');
  }
  try {
    const parsed: unknown = JSON.parse(body.text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('not an object');
    }
    return parsed as T;
  } catch {
    throw new ProblemError(400, 'Bad Request', 'the request body is not a JSON object');
  }
}
