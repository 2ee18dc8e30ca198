/**
 * SQLite path and permission errors as one line naming the setting to fix, never a driver stack: the operator's
 * next step is to change `storage.sqlite.path` or the permissions of what it points at.
 */
import { defineErrors, type PluginError } from 'authplane';

export const SQLITE_SETTING = 'storage.sqlite.path (AUTHPLANE_STORAGE_SQLITE_PATH)';

export const sqliteErrors = defineErrors('storage-sqlite', {
  PATH: 'The SQLite database file or its directory cannot be created, opened or written (permissions, a read-only or full file system, a file where a directory should be); the message names `storage.sqlite.path`.',
});

const ERRNO_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'the path is a directory',
  ENOSPC: 'no space left on the device',
};

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  return (code && ERRNO_REASONS[code]) ?? (err as Error)?.message ?? String(err);
}

/** A file-system error on the database's path, as a boot error naming the setting. */
export function sqlitePathError(err: unknown, filename: string, what: string): PluginError {
  return sqliteErrors.PATH(
    `SQLite database ${filename}: ${what}: ${reason(err)} — make it writable by the server's user, or point ${SQLITE_SETTING} elsewhere`,
    { cause: err },
  );
}

/** What better-sqlite3 reports when the database cannot be opened or written, as one line; undefined otherwise. */
export function explainSqliteError(err: unknown, filename: string): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('SQLITE_READONLY')) {
    return `the SQLite database ${filename} is read-only (the file or its directory, which holds its -wal and -shm files): make both writable by the server's user, or point ${SQLITE_SETTING} elsewhere`;
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return `cannot open the SQLite database ${filename}: check that it and its directory exist and are readable and writable by the server's user, or point ${SQLITE_SETTING} elsewhere`;
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return `${filename} is not a usable SQLite database (${(err as Error).message}): point ${SQLITE_SETTING} at the right file`;
  }
  if (code === 'SQLITE_FULL') return `the disk holding the SQLite database ${filename} is full (${SQLITE_SETTING})`;
  if (code in ERRNO_REASONS) return sqlitePathError(err, filename, 'cannot open it').message;
  return undefined;
}
