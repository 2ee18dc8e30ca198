/**
 * Fetches one client ID metadata document through the kernel's guarded outbound request: one GET, no redirects
 * followed, a deadline over the whole exchange (connect, headers and body, so a server trickling bytes cannot hold
 * a slot), a byte cap counted while streaming, JSON only, and the SSRF guard on the address actually connected to.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { outboundRequest, OutboundRequestError } from 'authplane';

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
export function freshnessSeconds(headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
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

export async function fetchMetadataDocument(url: URL, limits: FetchLimits): Promise<FetchedDocument> {
  let response;
  try {
    response = await outboundRequest({
      url,
      headers: { accept: 'application/json', 'user-agent': 'AuthPlane-CIMD/1' },
      timeoutMs: limits.timeoutMs,
      maxResponseBytes: limits.maxBytes,
      allowPrivateAddresses: limits.allowPrivateAddresses,
      checkHead({ status, headers }) {
        if (status >= 300 && status < 400) {
          throw new DocumentFetchError('redirect', `metadata document URL answered ${status}; redirects are not followed`);
        }
        if (status !== 200) throw new DocumentFetchError('http_error', `metadata document URL answered ${status}`);
        if (!isJson(headers['content-type'])) {
          throw new DocumentFetchError('not_json', `metadata document is ${headers['content-type'] ?? 'untyped'}, not application/json`);
        }
      },
    });
  } catch (err) {
    if (!(err instanceof OutboundRequestError)) throw err;
    if (err.reason === 'too_large') throw new DocumentFetchError('too_large', `metadata document is larger than ${limits.maxBytes} bytes`, { cause: err });
    const detail = err.reason === 'timeout' ? `metadata document not received within ${limits.timeoutMs} ms` : `metadata document host ${err.message}`;
    throw new DocumentFetchError(err.reason, NOT_FETCHED, { cause: err, detail });
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch (cause) {
    throw new DocumentFetchError('invalid_document', 'metadata document is not valid JSON', { cause });
  }
  return { body, maxAge: freshnessSeconds(response.headers, limits.now()) };
}
