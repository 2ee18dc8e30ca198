import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { requirePostgres } from '../../helpers/postgres.js';
import { auditEvents, federatedLogin, federationServer, LOCAL_USER } from './setup.js';

test('on PostgreSQL: first login creates and links the user, the second finds it, an email conflict creates nothing, and a linked identity signs in as its user', async (t) => {
  if (!(await requirePostgres(t))) return;
  const fx = await federationServer(t, { storage: 'postgres' });
  assert.equal((await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'quinn')).page.status, 200);
  assert.equal((await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'quinn')).page.status, 200);
  assert.equal((await federatedLogin(fx, new ScriptedBrowser(fx.url), 'globex', LOCAL_USER.email)).page.status, 409);
  const users = (await (await fx.admin('/admin/users')).json()).users as { email: string }[];
  assert.deepEqual(users.map((u) => u.email).sort(), [LOCAL_USER.email, 'quinn@acme.example']);

  const link = await fx.admin(`/admin/users/${LOCAL_USER.email}/identities`, { method: 'POST', body: JSON.stringify({ provider: 'globex', subject: LOCAL_USER.email }) });
  assert.equal(link.status, 201);
  assert.equal((await federatedLogin(fx, new ScriptedBrowser(fx.url), 'globex', LOCAL_USER.email)).page.status, 200);
  const logins = await auditEvents(fx, 'user_oidc_login');
  assert.deepEqual(logins.map((e) => e.detail.created).sort(), [false, false, true]);
  assert.ok(logins.some((e) => e.user_id === fx.localUserId));
  // The user's deletion takes its links with it.
  assert.equal((await fx.admin(`/admin/users/${fx.localUserId}`, { method: 'DELETE' })).status, 204);
  assert.equal(Number((await fx.server.runtimeApi().db('user_identities').count({ n: '*' }))[0]!.n), 1);
});
