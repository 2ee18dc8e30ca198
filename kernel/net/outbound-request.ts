/**
 * One HTTP request to an address someone else chose (a client's metadata document, an upstream token endpoint),
 * made so that it cannot be turned against the server or its network: no redirect is followed (a 3xx is answered
 * as it came), one deadline covers the whole exchange (connect, headers and body, so a server trickling bytes
 * cannot hold the caller), the body is capped while it streams in, and the SSRF guard checks the address the
 * socket actually connects to (address-guard.ts), unless the caller allows private addresses.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockedAddressError, guardedLookup, literalHostProblem } from './address-guard.js';
import { inTrace, injectTraceContext, serviceSpan } from '../observe/tracing.js';

/** Why an outbound request got no usable answer. */
export type OutboundFailure = 'refused_address' | 'timeout' | 'network_error' | 'too_large';

/**
 * An outbound request that failed. The message names the host and what happened, never the request's headers or
 * body (which may carry credentials): safe for a log line.
 */
export class OutboundRequestError extends Error {
  override readonly name = 'OutboundRequestError';
  constructor(
    readonly reason: OutboundFailure,
    message: string,
    options: ErrorOptions = {},
  ) {
    super(message, options);
  }
}

export interface OutboundRequest {
  url: URL;
  /** Default GET. */
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A form is sent as application/x-www-form-urlencoded. */
  body?: string | Buffer | URLSearchParams;
  /** The deadline of the whole exchange, connect to last byte (ms). */
  timeoutMs: number;
  /** The largest response body read (bytes); a larger one fails with `too_large`. */
  maxResponseBytes: number;
  /** Connect to loopback, private and other non-public addresses too (tests, local development). */
  allowPrivateAddresses: boolean;
  /**
   * Looks at the status and headers before the body is read; what it throws ends the request and is what the
   * caller's promise rejects with (a 3xx the caller refuses, a content type it does not read).
   */
  checkHead?: (head: OutboundHead) => void;
}

export interface OutboundHead {
  status: number;
  headers: IncomingHttpHeaders;
}

export interface OutboundResponse extends OutboundHead {
  body: Buffer;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Inside a traced request the exchange is a client span (`GET <host>`) and the request carries its W3C trace context
 * (`traceparent`), so the service called can join the trace; without tracing, neither.
 */
export function outboundRequest(request: OutboundRequest): Promise<OutboundResponse> {
  if (!inTrace()) return exchange(request);
  const method = request.method ?? 'GET';
  const attributes = { 'http.request.method': method, 'server.address': request.url.hostname, 'url.scheme': request.url.protocol.slice(0, -1) };
  return serviceSpan(`${method} ${request.url.host}`, { kind: 'client', attributes }, async (span) => {
    const response = await exchange(request);
    span?.setAttribute('http.response.status_code', response.status);
    return response;
  });
}

function exchange(request: OutboundRequest): Promise<OutboundResponse> {
  const { url, timeoutMs, maxResponseBytes, allowPrivateAddresses } = request;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return Promise.reject(new OutboundRequestError('network_error', `${url.protocol} is not http or https`));
  }
  const literal = literalHostProblem(url.hostname, allowPrivateAddresses);
  if (literal) return Promise.reject(new OutboundRequestError('refused_address', `host ${literal}`));
  const headers: Record<string, string> = { ...request.headers };
  let payload: string | Buffer | undefined;
  if (request.body instanceof URLSearchParams) {
    payload = request.body.toString();
    headers['content-type'] ??= FORM_TYPE;
  } else {
    payload = request.body;
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  injectTraceContext(headers);

  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      reject(error);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: request.method ?? 'GET',
      // A fresh connection per request: a pooled socket would skip the guarded lookup.
      agent: false,
      lookup: guardedLookup(allowPrivateAddresses) as never,
      headers,
    });
    const deadline = setTimeout(
      () => fail(new OutboundRequestError('timeout', `${url.host} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      const reason = err instanceof BlockedAddressError ? 'refused_address' : 'network_error';
      fail(new OutboundRequestError(reason, `${url.host}: ${err.message}`, { cause: err }));
    });
    req.on('response', (res) => {
      const head: OutboundHead = { status: res.statusCode ?? 0, headers: res.headers };
      try {
        request.checkHead?.(head);
      } catch (refusal) {
        return fail(refusal);
      }
      const tooLarge = () => new OutboundRequestError('too_large', `${url.host} answered more than ${maxResponseBytes} bytes`);
      if (Number(res.headers['content-length'] ?? 0) > maxResponseBytes) return fail(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxResponseBytes) return fail(tooLarge());
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(new OutboundRequestError('network_error', `${url.host}: reading the answer failed: ${err.message}`, { cause: err })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ ...head, body: Buffer.concat(chunks) });
      });
    });
    req.end(payload);
  });
}
