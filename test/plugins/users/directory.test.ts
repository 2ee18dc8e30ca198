import assert from 'node:assert/strict';
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

test('an unknown email costs as much as a wrong password, so timing does not reveal which emails exist', async (t) => {
  const { admin } = await startUserServer(t);
  await admin('/admin/users', json(alice()));
  const timeOf = async (email: string) =>
    (await (await admin('/admin/probe/users/verify', json({ email, password: 'wrong password' }))).json()).ms as number;
  // Interleaved, and compared by their minimum: load on the machine only ever adds time, never removes it.
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 6; i++) {
    known.push(await timeOf('alice@example.com'));
    unknown.push(await timeOf('nobody@example.com'));
  }
  const fastestKnown = Math.min(...known);
  const fastestUnknown = Math.min(...unknown);
  // Without the dummy hash an unknown email answers in well under a millisecond, against tens for scrypt.
  assert.ok(fastestUnknown > fastestKnown * 0.5, `unknown ${fastestUnknown.toFixed(1)} ms vs known ${fastestKnown.toFixed(1)} ms`);
  assert.ok(fastestKnown > 5, `scrypt takes real time (${fastestKnown.toFixed(1)} ms)`);
});

test('findByEmail, get and recordLogin serve the login flow', async (t) => {
  const { admin, server } = await startUserServer(t);
  const user = await (await admin('/admin/users', json(alice()))).json();
  const found = await admin('/admin/probe/users/by-email/ALICE%40example.com');
  assert.deepEqual(await found.json(), user);
  assert.equal((await admin('/admin/probe/users/by-email/nobody%40example.com')).status, 404);

  const before = Date.now();
  const logged = await (await admin(`/admin/probe/users/${user.id}/login`, { method: 'POST' })).json();
  assert.ok(Date.parse(logged.last_login_at) >= before - 1000);
  assert.equal((await (await admin(`/admin/users/${user.id}`)).json()).last_login_at, logged.last_login_at);

  assert.deepEqual(server.registries.identityProviders.get('local'), { displayName: 'Email and password', kind: 'local' });
  assert.equal(server.registries.identityProviders.owner('local'), 'users');
});
