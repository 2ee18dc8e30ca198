/** Connection failures of the socket itself (the database host refuses, drops or does not answer). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now (a restart, a failover, recovery). */
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03']);

/**
 * Whether an error means the database cannot be reached right now — not that a query was wrong. A request that
 * meets one is answered 503 `temporarily_unavailable` (try again), not 500: a database restart or failover is an
 * outage the client can wait out, and `/ready` reports it meanwhile.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code) || SHUTDOWN_STATES.has(code) || code.startsWith('08')) return true;
    // knex: no pooled connection within acquireConnectionTimeout; pg: the server closed the connection mid-query.
    if (e.name === 'KnexTimeoutError') return true;
    if (typeof e.message === 'string' && /^Connection terminated/.test(e.message)) return true;
  }
  return false;
}
