import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { alice, json, startUserServer } from './setup.js';

test('user CRUD, conflicts, transitions and password checks work on PostgreSQL', async (t) => {
  if (!(await requirePostgres(t))) return;
  const { admin, server } = await startUserServer(t, { storage: 'postgres' });
  const user = await (await admin('/admin/users', json(alice()))).json();
  assert.equal(user.email, 'alice@example.com');
  assert.equal((await admin('/admin/users', json(alice({ email: 'ALICE@EXAMPLE.COM' })))).status, 409);

  const [row] = await server.db('users').where({ id: user.id });
  assert.match(row.password_hash, /^scrypt\$\d+\$8\$1\$/);

  const verify = async (password: string) =>
    (await (await admin('/admin/probe/users/verify', json({ email: 'alice@example.com', password }))).json()).user;
  assert.equal((await verify('correct horse battery'))?.id, user.id);
  assert.equal(await verify('wrong password'), null);

  const logged = await (await admin(`/admin/probe/users/${user.id}/login`, { method: 'POST' })).json();
  assert.equal(typeof logged.last_login_at, 'string', 'bigint timestamps come back as ISO strings');

  assert.equal((await admin(`/admin/users/${user.id}/disable`, { method: 'POST' })).status, 200);
  assert.equal((await admin(`/admin/users/${user.id}/disable`, { method: 'POST' })).status, 409);
  assert.equal(await verify('correct horse battery'), null);
  assert.equal((await (await admin(`/admin/users/${user.id}`, json({ name: 'Alice B.' }, 'PATCH'))).json()).name, 'Alice B.');
  assert.deepEqual((await (await admin('/admin/users')).json()).users.map((u: { id: string }) => u.id), [user.id]);
  assert.equal((await admin(`/admin/users/${user.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await admin(`/admin/users/${user.id}`)).status, 404);
});
