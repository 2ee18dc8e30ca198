import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alice, json, startUserServer } from './setup.js';

const USER_FIELDS = ['created_at', 'email', 'id', 'last_login_at', 'name', 'provider', 'role', 'status', 'updated_at'];

test('a user is created, listed, read, updated and deleted over the admin API, never showing the password hash', async (t) => {
  const { admin } = await startUserServer(t);
  const created = await admin('/admin/users', json(alice()));
  assert.equal(created.status, 201);
  const user = await created.json();
  assert.deepEqual(Object.keys(user).sort(), USER_FIELDS);
  assert.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  assert.equal(created.headers.get('location'), `/admin/users/${user.id}`);
  assert.equal(user.email, 'alice@example.com', 'stored lower-cased');
  assert.equal(user.role, 'admin');
  assert.equal(user.status, 'active');
  assert.equal(user.provider, 'local');
  assert.equal(user.last_login_at, null);

  const bob = await (await admin('/admin/users', json({ email: 'bob@example.com', name: 'Bob', password: 'another-password' }))).json();
  assert.equal(bob.role, 'user', 'role defaults to user');

  const list = await (await admin('/admin/users')).json();
  assert.deepEqual(list, { users: [user, bob], next: null });
  assert.deepEqual(await (await admin(`/admin/users/${user.id}`)).json(), user);

  const updated = await admin(`/admin/users/${user.id}`, json({ name: 'Alice A.', role: 'user', email: 'ALICE@new.example.com' }, 'PATCH'));
  assert.equal(updated.status, 200);
  const after = await updated.json();
  assert.equal(after.name, 'Alice A.');
  assert.equal(after.role, 'user');
  assert.equal(after.email, 'alice@new.example.com');
  assert.ok(!('password_hash' in after));

  assert.equal((await admin(`/admin/users/${user.id}`, { method: 'DELETE' })).status, 204);
  const gone = await admin(`/admin/users/${user.id}`);
  assert.equal(gone.status, 404);
  assert.equal(gone.headers.get('content-type'), 'application/problem+json');
  assert.equal((await admin(`/admin/users/${user.id}`, { method: 'DELETE' })).status, 404);
  assert.equal((await admin(`/admin/users/${user.id}/disable`, { method: 'POST' })).status, 404);
});

test('passwords are stored as scrypt hashes with their parameters and a per-user salt', async (t) => {
  const { admin, server } = await startUserServer(t);
  const a = await (await admin('/admin/users', json(alice()))).json();
  const b = await (await admin('/admin/users', json(alice({ email: 'b@example.com' })))).json();
  const rows = await server.db('users').whereIn('id', [a.id, b.id]).orderBy('id');
  const format = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;
  for (const row of rows) {
    const match = format.exec(row.password_hash);
    assert.ok(match, row.password_hash);
    assert.ok(Number(match[1]) >= 16384, 'N ≥ 2^14');
    assert.equal(Number(match[2]), 8);
    assert.equal(Number(match[3]), 1);
    assert.ok(!row.password_hash.includes('correct horse'));
  }
  assert.notEqual(rows[0].password_hash, rows[1].password_hash, 'same password, different salt');

  // A new password replaces the hash.
  await admin(`/admin/users/${a.id}`, json({ password: 'a brand new password' }, 'PATCH'));
  const [changed] = await server.db('users').where({ id: a.id });
  assert.notEqual(changed.password_hash, rows.find((r) => r.id === a.id).password_hash);
});

test('malformed user bodies are 400 problems naming the field, and passwords need 8 characters', async (t) => {
  const { admin } = await startUserServer(t);
  const cases: [Record<string, unknown>, string][] = [
    [alice({ email: 'not-an-email' }), 'email'],
    [alice({ email: undefined }), 'email'],
    [alice({ password: 'short' }), 'password'],
    [alice({ password: undefined }), 'password'],
    [alice({ role: 'root' }), 'role'],
    [alice({ name: '   ' }), 'name'],
    [alice({ status: 'disabled' }), 'status'],
    [alice({ password_hash: 'scrypt$1$1$1$x$y' }), 'password_hash'],
  ];
  for (const [body, field] of cases) {
    const response = await admin('/admin/users', json(body));
    assert.equal(response.status, 400, JSON.stringify(body));
    const problem = await response.json();
    assert.ok(problem.errors.some((e: { field: string }) => e.field === field), `${field} in ${JSON.stringify(problem.errors)}`);
  }
  assert.equal((await admin('/admin/users', json(alice({ password: '12345678' })))).status, 201);
  const user = (await (await admin('/admin/users')).json()).users[0];
  assert.equal((await admin(`/admin/users/${user.id}`, json({}, 'PATCH'))).status, 400);
  assert.equal((await admin(`/admin/users/${user.id}`, json({ password: 'short' }, 'PATCH'))).status, 400);
});

test('an email already taken, in any letter case, is a 409 conflict', async (t) => {
  const { admin } = await startUserServer(t);
  assert.equal((await admin('/admin/users', json(alice()))).status, 201);
  const again = await admin('/admin/users', json(alice({ email: 'ALICE@example.COM' })));
  assert.equal(again.status, 409);
  assert.match((await again.json()).detail, /alice@example\.com/);
  const bob = await (await admin('/admin/users', json(alice({ email: 'bob@example.com' })))).json();
  assert.equal((await admin(`/admin/users/${bob.id}`, json({ email: 'alice@EXAMPLE.com' }, 'PATCH'))).status, 409);
});

test('disable and enable change the status, and a transition from the wrong status is a 409', async (t) => {
  const { admin } = await startUserServer(t);
  const user = await (await admin('/admin/users', json(alice()))).json();
  const disabled = await admin(`/admin/users/${user.id}/disable`, { method: 'POST' });
  assert.equal(disabled.status, 200);
  assert.equal((await disabled.json()).status, 'disabled');
  const twice = await admin(`/admin/users/${user.id}/disable`, { method: 'POST' });
  assert.equal(twice.status, 409);
  assert.match((await twice.json()).detail, /already disabled/);
  assert.equal((await (await admin(`/admin/users/${user.id}`)).json()).status, 'disabled');

  const enabled = await admin(`/admin/users/${user.id}/enable`, { method: 'POST' });
  assert.equal((await enabled.json()).status, 'active');
  assert.equal((await admin(`/admin/users/${user.id}/enable`, { method: 'POST' })).status, 409);
});

test('user changes are audited without the password', async (t) => {
  const { admin, server } = await startUserServer(t);
  const user = await (await admin('/admin/users', json(alice()))).json();
  await admin(`/admin/users/${user.id}`, json({ password: 'a brand new password', name: 'A' }, 'PATCH'));
  await admin(`/admin/users/${user.id}/disable`, { method: 'POST' });
  await admin(`/admin/users/${user.id}/enable`, { method: 'POST' });
  await admin(`/admin/users/${user.id}`, { method: 'DELETE' });
  await server.runtimeApi().audit.flush();
  const events = await server.db('audit_events').where('action', 'like', 'user_%').orderBy('id');
  assert.deepEqual(events.map((e) => e.action), ['user_created', 'user_updated', 'user_disabled', 'user_enabled', 'user_deleted']);
  for (const event of events) {
    assert.equal(event.user_id, user.id);
    assert.equal(event.actor_id, 'admin-api');
    assert.ok(!String(event.detail).includes('brand new'));
    assert.ok(!String(event.detail).includes('scrypt'));
  }
  assert.deepEqual(JSON.parse(events[1].detail).changed, ['name', 'password']);
});
