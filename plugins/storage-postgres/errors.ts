/**
 * A PostgreSQL DSN that does not parse or does not connect, as one line naming the setting to fix — never the DSN
 * itself (it carries the password), never a driver stack.
 */
import { defineErrors } from 'authplane';

export const DSN_SETTING = 'storage.postgres.dsn (AUTHPLANE_STORAGE_POSTGRES_DSN)';
const EXAMPLE = 'postgres://user:password@host:5432/database';

export const postgresErrors = defineErrors('storage-postgres', {
  DSN_MISSING: '`storage.driver` is `postgres` but `storage.postgres.dsn` (`AUTHPLANE_STORAGE_POSTGRES_DSN`) is not set.',
  DSN_INVALID: '`storage.postgres.dsn` is not a PostgreSQL URL (`postgres://user:password@host:5432/database`); the message never repeats the DSN, which carries the password.',
});

/** What may be said about a DSN: the password left out. */
export interface DsnParts {
  where: string;
  user: string;
  database: string;
}

/** The DSN's parts, or a boot error saying it is not a PostgreSQL URL. */
export function parseDsn(dsn: string): DsnParts {
  let url: URL | undefined;
  try {
    url = new URL(dsn);
  } catch {
    url = undefined;
  }
  if (!url || !['postgres:', 'postgresql:', 'socket:'].includes(url.protocol)) {
    throw postgresErrors.DSN_INVALID(`${DSN_SETTING} is not a PostgreSQL URL: expected ${EXAMPLE}`);
  }
  if (url.protocol === 'socket:') return { where: `socket ${url.pathname}`, user: decodeURIComponent(url.username), database: url.searchParams.get('db') ?? '' };
  return {
    where: `${url.hostname || 'localhost'}:${url.port || '5432'}`,
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
}

/** One line for an error reaching PostgreSQL; undefined for errors of another kind (a failing migration's SQL). */
export function explainPostgresError(err: unknown, dsn: string | undefined): string | undefined {
  if (!dsn) return undefined;
  const parts = parseDsn(dsn);
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const cannot = `cannot connect to PostgreSQL at ${parts.where}`;
  const fix = `check ${DSN_SETTING}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `${cannot}: connection refused (is PostgreSQL running and listening there?) — ${fix}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${cannot}: host not found — ${fix}`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${cannot}: the host does not answer — ${fix}`;
    case 'ECONNRESET':
      return `${cannot}: the connection was closed (TLS required, or not a PostgreSQL server?) — ${fix}`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${parts.where} refused the login of user '${parts.user}' (wrong password, or pg_hba.conf) — ${fix}`;
    case '3D000':
      return `PostgreSQL at ${parts.where} has no database '${parts.database}' (create it first) — ${fix}`;
    case '42501':
      return `PostgreSQL user '${parts.user}' may not create or change tables in '${parts.database}' (grant it, or use the owner) — ${fix}`;
    default:
      if (/timeout acquiring a connection|connection terminated|timeout expired/i.test(message)) {
        return `${cannot}: no connection within the timeout — ${fix}`;
      }
      // Errors of the connection itself (TLS, protocol) carry no SQLSTATE; SQL errors of a migration do.
      return code === '' || code.startsWith('08') ? `${cannot}: ${message} — ${fix}` : undefined;
  }
}
