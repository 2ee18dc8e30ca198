/**
 * The typed admin API client: same-origin JSON requests on the admin listener, every refusal an `ApiError`
 * (RFC 9457 problem with its field errors), every list a page with the cursor of the next.
 */
import { ApiError, NetworkError, problemOf } from './problem.js';
import { loadCredential } from './session.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined | null>>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

/** One page of a list endpoint: its rows and the cursor of the next page (undefined on the last). */
export interface Page<T> {
  items: T[];
  next: string | undefined;
}

/** Fired on `window` when the admin API refuses the credential (401): the shell goes back to sign-in. */
export const UNAUTHORIZED_EVENT = 'ap-unauthorized';

function withQuery(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export class AdminApi {
  constructor(private readonly credential: () => string | undefined = () => loadCredential()?.secret) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#fetch(method, path, options, 'application/json, application/problem+json');
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /**
   * A GET whose body the caller reads as it arrives (server-sent events: EventSource cannot send the credential,
   * so the console reads the stream with fetch). Refusals throw as for `request`; `lastEventId` resumes a stream.
   */
  stream(path: string, options: Omit<RequestOptions, 'body'> & { lastEventId?: string } = {}): Promise<Response> {
    return this.#fetch('GET', path, options, 'text/event-stream', options.lastEventId ? { 'last-event-id': options.lastEventId } : {});
  }

  async #fetch(method: string, path: string, options: RequestOptions, accept: string, extra: Record<string, string> = {}): Promise<Response> {
    const headers: Record<string, string> = { accept, ...extra };
    const secret = this.credential();
    if (secret) headers.authorization = `Bearer ${secret}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(withQuery(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        credentials: 'omit',
      });
    } catch (cause) {
      if ((cause as Error).name === 'AbortError') throw cause;
      throw new NetworkError(`the admin API could not be reached (${(cause as Error).message})`);
    }
    if (!response.ok) {
      const error = await problemOf(response);
      if (error.status === 401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT, { detail: error }));
      throw error;
    }
    return response;
  }

  get<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  post<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('POST', path, { ...options, body: body ?? {} });
  }

  patch<T>(path: string, body: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body });
  }

  delete(path: string, options?: Omit<RequestOptions, 'body'>): Promise<void> {
    return this.request<void>('DELETE', path, options);
  }

  /**
   * One page of a list endpoint (`{ <key>: [...], next }`): `limit` and `cursor` as the admin API pages them. An
   * endpoint that does not page yet answers every row and no `next`: that is the last page.
   */
  async list<T>(path: string, key: string, options: { query?: Query; cursor?: string; limit?: number; signal?: AbortSignal } = {}): Promise<Page<T>> {
    const query: Query = { ...options.query, limit: options.limit, cursor: options.cursor };
    const body = await this.get<Record<string, unknown>>(path, { query, signal: options.signal });
    const items = body[key];
    if (!Array.isArray(items)) throw new ApiError(500, 'Unexpected response', `${path} answered without a '${key}' list`);
    return { items: items as T[], next: typeof body.next === 'string' && body.next ? body.next : undefined };
  }
}

/** The console's one client, reading the credential of this tab. */
export const api = new AdminApi();
