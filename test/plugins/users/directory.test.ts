import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { test } from 'node:test';
import { alice, json, startUserServer } from './setup.js';

test('verifyPassword answers the user for the right password and nothing for a wrong one, an unknown email or a disabled user', async (t) => {
  const { admin } = await startUserServer(t);
  const user = await (await admin('/admin/users', json(alice()))).json();
  const verify = async (email: string, password: string) =>
    (await (await admin('/admin/probe/users/verify', json({ email, password }))).json()).user;

  assert.deepEqual(await verify('alice@example.com', 'correct horse battery'), user);
  assert.equal((await verify('  ALICE@example.com ', 'correct horse battery'))?.id, user.id, 'email case and spaces do not matter');
  assert.equal(await verify('alice@example.com', 'correct horse battery!'), null);
  assert.equal(await verify('alice@example.com', 'Correct horse battery'), null);
  assert.equal(await verify('nobody@example.com', 'correct horse battery'), null);

  await admin(`/admin/users/${user.id}/disable`, { method: 'POST' });
  assert.equal(await verify('alice@example.com', 'correct horse battery'), null);
  await admin(`/admin/users/${user.id}/enable`, { method: 'POST' });
  assert.equal((await verify('alice@example.com', 'correct horse battery'))?.id, user.id);

  await admin(`/admin/users/${user.id}`, json({ password: 'a brand new password' }, 'PATCH'));
  assert.equal(await verify('alice@example.com', 'correct horse battery'), null);
  assert.equal((await verify('alice@example.com', 'a brand new password'))?.id, user.id);
});

test('an unknown email costs a scrypt verification, as a wrong password does, so timing does not reveal which emails exist', async (t) => {
  const { admin } = await startUserServer(t);
  await admin('/admin/users', json(alice()));
  const verify = async (email: string) => (await (await admin('/admin/probe/users/verify', json({ email, password: 'wrong password' }))).json()).user;
  // The dummy hash is made once, at start-up or by the first unknown email; this one makes sure it exists.
  assert.equal(await verify('warm-up@example.com'), null);
  // Counted, not timed: a stopwatch on a loaded machine measures the machine. Each scrypt call (node:crypto's
  // asynchronous API, as the plugin uses) is one SCRYPTREQUEST on the libuv pool.
  const scryptCalls = async (email: string) => {
    let calls = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'SCRYPTREQUEST') calls++;
      },
    }).enable();
    try {
      assert.equal(await verify(email), null);
    } finally {
      hook.disable();
    }
    return calls;
  };
  for (let i = 0; i < 3; i++) {
    assert.equal(await scryptCalls('alice@example.com'), 1, 'a wrong password for a known email');
    assert.equal(await scryptCalls('nobody@example.com'), 1, 'an unknown email checks the dummy hash');
  }
});

test('findByEmail, get and recordLogin serve the login flow', async (t) => {
  const { admin } = await startUserServer(t);
  const user = await (await admin('/admin/users', json(alice()))).json();
  const found = await admin('/admin/probe/users/by-email/ALICE%40example.com');
  assert.deepEqual(await found.json(), user);
  assert.equal((await admin('/admin/probe/users/by-email/nobody%40example.com')).status, 404);

  const before = Date.now();
  const logged = await (await admin(`/admin/probe/users/${user.id}/login`, { method: 'POST' })).json();
  assert.ok(Date.parse(logged.last_login_at) >= before - 1000);
  assert.equal((await (await admin(`/admin/users/${user.id}`)).json()).last_login_at, logged.last_login_at);
});
