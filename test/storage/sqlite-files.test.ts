/**
 * The SQLite database holds password hashes, session ids and the audit trail: the server creates it, its `-wal`
 * and `-shm` files 0600 in a 0700 directory. A directory or database the operator made keeps its mode, and a
 * database others can open is reported at boot.
 */
import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer, tempDir } from '../helpers/server.js';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

test('the SQLite database, its -wal and -shm are created 0600 in a 0700 directory', async (t) => {
  const data = join(tempDir(t), 'data');
  const srv = await startServer(t, { dir: data });
  const db = join(data, 'authserver.db');
  assert.equal(mode(data), '0700', 'the data directory');
  // A write, so the WAL is certainly in use while the server runs.
  srv.server.runtimeApi().audit.emit({ action: 'user_login', user_id: 'u1' });
  await srv.server.runtimeApi().audit.flush();
  for (const file of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(file), '0600', file);
  assert.equal(srv.logs.filter((l) => String(l.msg).includes('open to other users')).length, 0);
});

test('a data directory the operator made keeps its mode, and a database open to others is reported at boot', async (t) => {
  const data = join(tempDir(t), 'data');
  mkdirSync(data);
  chmodSync(data, 0o750);
  const db = join(data, 'authserver.db');
  closeSync(openSync(db, 'w'));
  chmodSync(db, 0o640);
  const srv = await startServer(t, { dir: data });
  assert.equal(mode(data), '0750', 'never loosened nor tightened');
  assert.equal(mode(db), '0640');
  const warning = srv.logs.find((l) => String(l.msg).includes('open to other users'));
  assert.ok(warning, 'the boot log says the database is open to others');
  assert.equal(warning.level, 'warn');
  assert.equal(warning.path, db);
  assert.equal(warning.mode, '0640');
  assert.match(String(warning.msg), /chmod 600/);
});
