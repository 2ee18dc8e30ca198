/**
 * The SQLite database holds password hashes, session ids and the audit trail, so it is private to the server's
 * user: a directory we create is 0700 and a database file we create is 0600. SQLite gives the `-wal` and `-shm`
 * files it creates next to the database the database file's own permissions, so creating the file first, 0600, is
 * what makes all three private. A directory or database the operator made is left as it is — never loosened, never
 * tightened behind their back (a backup group may need to read it) — but a database others can read is reported.
 */
import { accessSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqlitePathError } from './errors.js';

export type FileWarning = (detail: Record<string, unknown>, message: string) => void;

export function prepareDatabaseFile(filename: string, warn: FileWarning): void {
  const dir = dirname(filename);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw sqlitePathError(err, filename, `cannot create its directory ${dir}`);
  }
  try {
    closeSync(openSync(filename, 'wx', 0o600));
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw sqlitePathError(err, filename, 'cannot create the file');
  }
  // Checked here so the answer names the path, rather than surfacing as a failed migration lock.
  for (const [path, what] of [[filename, 'cannot write the file'], [dir, `cannot write its directory ${dir} (it holds the -wal and -shm files)`]] as const) {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (err) {
      throw sqlitePathError(err, filename, what);
    }
  }
  const mode = statSync(filename).mode & 0o777;
  if (mode & 0o077) {
    warn(
      { path: filename, mode: mode.toString(8).padStart(4, '0') },
      'the SQLite database is open to other users; it holds password hashes, session ids and the audit trail: chmod 600 it (its -wal and -shm files take the same mode)',
    );
  }
}
