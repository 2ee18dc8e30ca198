/**
 * Servers on one PostgreSQL database are replicas; with a key folder each (keyfile) they would publish different
 * JWKS. Until a shared key store exists, that is warned about at boot and `/admin/system/status` names the store.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { requirePostgres } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';

const WARNING = /key store of this host only \('keyfile'\) while the database is PostgreSQL/;

async function status(srv: TestServer) {
  const response = await srv.admin('/admin/system/status');
  assert.equal(response.status, 200);
  return (await response.json()).subsystems.signing_keys;
}

test('a keyfile key store on PostgreSQL storage is warned about at boot and shown in /admin/system/status', async (t) => {
  if (!(await requirePostgres(t))) return;
  const srv = await startServer(t, { storage: 'postgres' });
  const warnings = srv.logs.filter((l) => l.level === 'warn' && WARNING.test(String(l.msg)));
  assert.equal(warnings.length, 1, 'one clear warning at boot');
  assert.equal(warnings[0]!.key_store, 'keyfile');
  assert.equal(warnings[0]!.location, join(srv.dir, 'keys'));
  const keys = await status(srv);
  assert.deepEqual(keys.store, {
    name: 'keyfile',
    shared: false,
    location: join(srv.dir, 'keys'),
    watched: true,
    warning: 'not shared between servers: replicas on this PostgreSQL database each publish their own signing keys',
  });
  assert.equal(keys.current_kid.length > 0, true);
});

test('a keyfile key store on SQLite is shown in /admin/system/status without a warning', async (t) => {
  const srv = await startServer(t);
  assert.equal(srv.logs.filter((l) => WARNING.test(String(l.msg))).length, 0);
  assert.deepEqual((await status(srv)).store, { name: 'keyfile', shared: false, location: join(srv.dir, 'keys'), watched: true });
});
