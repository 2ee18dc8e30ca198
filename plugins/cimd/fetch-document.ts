/**
 * Fetches one client ID metadata document: one GET, no redirects followed, a deadline over the whole exchange
 * (connect, headers and body, so a server trickling bytes cannot hold a slot), a byte cap counted while streaming,
 * JSON only, and the SSRF guard on the address actually connected to.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockedAddressError, guardedLookup, literalHostProblem } from './address-guard.js';

export type FetchOutcome =
  | 'ok'
  | 'refused_address'
  | 'redirect'
  | 'http_error'
  | 'not_json'
  | 'too_large'
  | 'timeout'
  | 'network_error'
  | 'invalid_document';

/**
 * A fetch or document failure; `outcome` labels the metric, the message is safe to show whoever sent the client_id,
 * `detail` (the log's) may say more.
 */
export class DocumentFetchError extends Error {
  readonly detail: string;
  constructor(
    readonly outcome: FetchOutcome,
    message: string,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.detail = options.detail ?? message;
  }
}

/**
 * What a requester is told when nothing usable came back: a refused connection, a timeout, a DNS failure and a
 * non-public address all read the same, or the authorize page would tell anyone which ports and names answer.
 */
export const NOT_FETCHED = 'metadata document could not be fetched';

export interface FetchedDocument {
  body: unknown;
  /** Seconds the response may be reused for, from Cache-Control / Expires; undefined when it says nothing. */
  maxAge: number | undefined;
}

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  allowPrivateAddresses: boolean;
  /** The clock an `Expires` without a `Date` header is read against (ms since the epoch). */
  now: () => number;
}

/** RFC 9111 §5.2.2 / §5.3: how long a response may be reused; 0 when it must not be stored or reused unchecked. */
export function freshnessSeconds(headers: IncomingMessage['headers'], now = Date.now()): number | undefined {
  const cacheControl = (headers['cache-control'] ?? '').toLowerCase();
  if (/(^|[\s,])(no-store|no-cache|private)\b/.test(cacheControl)) return 0;
  const maxAge = /(?:^|[\s,])max-age\s*=\s*"?(\d+)/.exec(cacheControl);
  if (maxAge) return Number(maxAge[1]);
  if (headers.expires) {
    const expires = Date.parse(headers.expires);
    const date = headers.date ? Date.parse(headers.date) : now;
    // RFC 9111 §5.3: an invalid Expires (e.g. "0") means already expired.
    return Number.isNaN(expires) ? 0 : Math.max(0, Math.floor((expires - (Number.isNaN(date) ? now : date)) / 1000));
  }
  return undefined;
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

export function fetchMetadataDocument(url: URL, limits: FetchLimits): Promise<FetchedDocument> {
  const literal = literalHostProblem(url.hostname, limits.allowPrivateAddresses);
  if (literal) return Promise.reject(new DocumentFetchError('refused_address', NOT_FETCHED, { detail: `metadata document host ${literal}` }));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: DocumentFetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      reject(error);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'GET',
      // A fresh connection per fetch: a pooled socket would skip the guarded lookup.
      agent: false,
      lookup: guardedLookup(limits.allowPrivateAddresses) as never,
      headers: { accept: 'application/json', 'user-agent': 'AuthPlane-CIMD/1' },
    });
    const deadline = setTimeout(
      () => fail(new DocumentFetchError('timeout', NOT_FETCHED, { detail: `metadata document not received within ${limits.timeoutMs} ms` })),
      limits.timeoutMs,
    );
    req.on('error', (err) => {
      const outcome = err instanceof BlockedAddressError ? 'refused_address' : 'network_error';
      fail(new DocumentFetchError(outcome, NOT_FETCHED, { cause: err, detail: `metadata document host ${url.host}: ${err.message}` }));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        return fail(new DocumentFetchError('redirect', `metadata document URL answered ${status}; redirects are not followed`));
      }
      if (status !== 200) return fail(new DocumentFetchError('http_error', `metadata document URL answered ${status}`));
      if (!isJson(res.headers['content-type'])) {
        return fail(new DocumentFetchError('not_json', `metadata document is ${res.headers['content-type'] ?? 'untyped'}, not application/json`));
      }
      const tooLarge = () => new DocumentFetchError('too_large', `metadata document is larger than ${limits.maxBytes} bytes`);
      if (Number(res.headers['content-length'] ?? 0) > limits.maxBytes) return fail(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) return fail(tooLarge());
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(new DocumentFetchError('network_error', NOT_FETCHED, { cause: err, detail: `metadata document read failed: ${err.message}` })));
      res.on('end', () => {
        if (settled) return;
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (cause) {
          return fail(new DocumentFetchError('invalid_document', 'metadata document is not valid JSON', { cause }));
        }
        settled = true;
        clearTimeout(deadline);
        resolve({ body, maxAge: freshnessSeconds(res.headers, limits.now()) });
      });
    });
    req.end();
  });
}
