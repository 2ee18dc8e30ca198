/**
 * The filters of `GET /admin/issuances` and `authserver admin issuance list`, parsed once for both, with the page
 * (`limit`, `cursor`): every filter and the walk without one are range scans of an index ending in (issued_at, jti).
 */
import { badRequest, creationOrder, PAGE_PARAMETERS, pageRequest, type PageRequest } from 'authplane';

export const ISSUANCE_FILTERS = ['user', 'client', 'resource', 'jti', 'since'] as const;
const PARAMETERS = [...ISSUANCE_FILTERS, ...PAGE_PARAMETERS] as const;
type Parameter = (typeof PARAMETERS)[number];

/** Newest first; the jti (a UUIDv7) breaks ties between tokens issued in the same second. */
export const ISSUANCE_ORDER = creationOrder('issuances', { time: 'issued_at', id: 'jti', direction: 'desc' });
/** Column widths of token_issuances (subject 512, client_id 512, jti 64); the audience text has no width. */
const MAX_LENGTH = { user: 512, client: 512, resource: 2048, jti: 64 } as const;

/** RFC 3339 §5.6 date-time: full-date "T" full-time with a mandatory offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

export interface IssuanceQuery {
  user?: string;
  client?: string;
  /** An audience value (the resource URI), matched as one element of the token's `aud`. */
  resource?: string;
  jti?: string;
  /** Issued at or after (ms). */
  since?: number;
  page: PageRequest;
}

function invalid(field: string, message: string): Error {
  return badRequest(`${field}: ${message}`, { errors: [{ field, message }] });
}

function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[8] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return undefined;
  const ms = Date.parse(text.toUpperCase());
  return Number.isNaN(ms) ? undefined : ms;
}

/** Raw parameters → a bounded query; unknown, repeated, empty or malformed parameters are a 400 naming them. */
export function parseIssuanceQuery(raw: Readonly<Record<string, string | string[] | undefined>>): IssuanceQuery {
  const params: Partial<Record<Parameter, string>> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(PARAMETERS as readonly string[]).includes(name)) throw invalid(name, `is not a known parameter (use ${PARAMETERS.join(', ')})`);
    if (typeof value !== 'string') throw invalid(name, 'must be given once');
    params[name as Parameter] = value;
  }
  const query: Omit<IssuanceQuery, 'page'> = {};
  for (const name of ['user', 'client', 'resource', 'jti'] as const) {
    const value = params[name];
    if (value === undefined) continue;
    if (value === '') throw invalid(name, 'must not be empty');
    if (value.length > MAX_LENGTH[name]) throw invalid(name, `must be at most ${MAX_LENGTH[name]} characters`);
    query[name] = value;
  }
  if (params.since !== undefined) {
    const since = parseRfc3339(params.since);
    if (since === undefined) throw invalid('since', 'must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z');
    query.since = since;
  }
  return { ...query, page: pageRequest(params, ISSUANCE_ORDER, query) };
}
