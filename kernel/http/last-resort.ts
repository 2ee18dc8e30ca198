import type { Socket } from 'node:net';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { ListenerName } from '../hooks.js';
import type { ErrorStyle } from './errors.js';
import { securityHeaderList } from './headers.js';
import { renderErrorPage } from './page.js';

/**
 * Refusals the error boundary never sees — the response itself failed to be written, or node refused the request
 * before there was one — answered in the same shapes as every other refusal: OAuth JSON on OAuth endpoints, problem
 * details elsewhere, an error page where a browser was sent. Nothing here may throw: these run where an exception
 * would be uncaught and stop the server.
 */

interface Refusal {
  status: number;
  title: string;
  detail: string;
  /** The OAuth `error` code for the OAuth style. */
  code: string;
}

function render(style: ErrorStyle, refusal: Refusal, requestId: string | undefined): { type: string; body: string } {
  if (style === 'oauth') {
    return {
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ error: refusal.code, error_description: refusal.detail }),
    };
  }
  if (style === 'page') {
    return { type: 'text/html; charset=utf-8', body: renderErrorPage(refusal.status, refusal.title, refusal.detail, requestId ?? '-') };
  }
  return {
    type: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: refusal.title, status: refusal.status, detail: refusal.detail }),
  };
}

const INTERNAL: Refusal = {
  status: 500,
  title: 'Internal Server Error',
  detail: 'the server could not complete the request',
  code: 'server_error',
};

/**
 * koa's `ctx.onerror` for the kernel's apps. It sees what fails outside the error boundary: an outer middleware, or
 * writing the response (a body that cannot be serialized, a header value node refuses). koa's own would answer
 * `text/plain` and, when the error carries headers node refuses, throw from the turn's batched writer.
 */
export function lastResortOnError(log: Logger, options: { hsts: boolean }): (this: Context, err: unknown) => void {
  const security = securityHeaderList(options);
  return function onerror(this: Context, err: unknown): void {
    if (err === null || err === undefined) return;
    const res = this.res;
    try {
      // After the request's scope closed (the response is written after it): its ids are given here.
      log.error(Object.assign({}, this.state.scope as object | undefined, { err, request_id: this.state.requestId }), 'response failed');
      if (res.headersSent || !this.writable) {
        res.destroy();
        return;
      }
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      const requestId = this.state.requestId as string | undefined;
      const { type, body } = render((this.state.errorStyle as ErrorStyle | undefined) ?? 'problem', INTERNAL, requestId);
      res.writeHead(500, [
        ...security,
        ...(requestId ? ['X-Request-ID', requestId] : []),
        'Cache-Control', 'no-store',
        'Content-Type', type,
        'Content-Length', String(Buffer.byteLength(body)),
      ]);
      res.end(body);
    } catch {
      res.destroy();
    }
  };
}

/** node's refusals before a request exists (its `clientError`s), by parser code; the rest are 400. */
const CLIENT_ERRORS: Record<string, Refusal> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    title: 'Request Header Fields Too Large',
    detail: 'the request headers are larger than the server accepts (16 KB)',
    code: 'invalid_request',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    title: 'Payload Too Large',
    detail: 'the chunk extensions are larger than the server accepts',
    code: 'invalid_request',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    title: 'Request Timeout',
    detail: 'the request was not received in time',
    code: 'invalid_request',
  },
};

const BAD_REQUEST: Refusal = {
  status: 400,
  title: 'Bad Request',
  detail: 'the request is not valid HTTP',
  code: 'invalid_request',
};

/**
 * The listener's `clientError` handler: node's own writes a bare status line (`431` with no body) for headers over
 * its limit. The style follows the request line, when it is in the packet node refused, as routing would have: OAuth JSON under
 * `/oauth/` and `/.well-known/` on the public listener, problem details everywhere else.
 */
export function clientErrorResponder(listener: ListenerName, options: { hsts: boolean }) {
  const security = securityHeaderList(options);
  return (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void => {
    try {
      // As node's default: answer only when nothing of a response has gone out on this connection.
      const inflight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (err.code !== 'ECONNRESET' && socket.writable && !inflight?.headersSent) {
        const refusal = CLIENT_ERRORS[err.code ?? ''] ?? BAD_REQUEST;
        const { type, body } = render(styleOf(listener, err.rawPacket), refusal, undefined);
        const headers = [...security, 'Cache-Control', 'no-store', 'Content-Type', type, 'Content-Length', String(Buffer.byteLength(body))];
        let head = `HTTP/1.1 ${refusal.status} ${refusal.title}\r\nConnection: close\r\n`;
        for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
        socket.end(`${head}\r\n${body}`, () => socket.destroy());
        return;
      }
    } catch {
      // fall through to destroy
    }
    socket.destroy();
  };
}

function styleOf(listener: ListenerName, raw: Buffer | undefined): ErrorStyle {
  if (listener !== 'public' || !raw) return 'problem';
  const line = raw.subarray(0, Math.min(raw.length, 512)).toString('latin1');
  const path = /^[A-Z]+ (\S+)/.exec(line)?.[1] ?? '';
  return path.startsWith('/oauth/') || path.startsWith('/.well-known/') ? 'oauth' : 'problem';
}
