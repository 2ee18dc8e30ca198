/**
 * Broker grants for operators: `GET /admin/broker-grants`, `DELETE /admin/broker-grants/{user}/{provider}`, the same
 * through `authserver admin broker-grant …`, and deleting a provider while users hold grants with it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoTempDir, writeConfigFile, errorLines } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import { auditEvents, connect, connectFixture, grantRows, OIDC_SECRET, signedIn } from './connect-setup.js';
import { BROKER_CONFIG_PLUGINS, MASTER_KEY } from './setup.js';

const GRANT_FIELDS = ['access_token_expires_at', 'created_at', 'has_refresh_token', 'id', 'key_id', 'provider', 'provider_id', 'scopes', 'updated_at', 'user_id', 'version'];

test('the admin list shows grants newest first, filtered by user and provider, and revoke deletes one (404 when there is none)', async (t) => {
  const fx = await connectFixture(t);
  await connect(fx, await signedIn(fx, 'ada'));
  await connect(fx, await signedIn(fx, 'bob'));
  const list = async (query = '') => {
    const response = await fx.admin(`/admin/broker-grants${query}`);
    return { status: response.status, body: await response.json() };
  };

  const all = await list();
  assert.equal(all.status, 200);
  assert.deepEqual(all.body.grants.map((g: { user_id: string }) => g.user_id), [fx.userIds.bob, fx.userIds.ada], 'newest first');
  const [bobs] = all.body.grants;
  assert.deepEqual(Object.keys(bobs).sort(), GRANT_FIELDS);
  assert.equal(bobs.provider, 'oidc');
  assert.equal(bobs.provider_id, fx.providerId);
  assert.equal(bobs.version, 1);
  assert.equal(bobs.has_refresh_token, true);
  assert.match(bobs.key_id, /^local:/);

  assert.deepEqual((await list(`?user_id=${fx.userIds.ada}`)).body.grants.map((g: { user_id: string }) => g.user_id), [fx.userIds.ada]);
  assert.equal((await list('?provider=oidc')).body.grants.length, 2);
  assert.equal((await list(`?provider=${fx.providerId}&user_id=${fx.userIds.bob}`)).body.grants.length, 1);
  assert.deepEqual((await list('?user_id=nobody')).body.grants, []);
  assert.deepEqual((await list('?limit=1')).body.grants.map((g: { user_id: string }) => g.user_id), [fx.userIds.bob]);
  const unknownProvider = await list('?provider=nope');
  assert.equal(unknownProvider.status, 404);
  for (const [query, field] of [['?limit=0', 'limit'], ['?limit=1001', 'limit'], ['?limit=x', 'limit'], ['?user=x', 'user']] as const) {
    const bad = await list(query);
    assert.equal(bad.status, 400, query);
    assert.equal(bad.body.errors[0].field, field, query);
  }

  const revoke = (user: string, provider: string) => fx.admin(`/admin/broker-grants/${user}/${provider}`, { method: 'DELETE' });
  assert.equal((await revoke(fx.userIds.ada, 'oidc')).status, 204);
  assert.equal((await revoke(fx.userIds.ada, 'oidc')).status, 404);
  assert.equal((await revoke(fx.userIds.bob, 'nope')).status, 404);
  assert.deepEqual((await grantRows(fx)).map((r) => r.user_id), [fx.userIds.bob]);
  const [revoked] = await auditEvents(fx, { action: 'broker_grant_revoked' });
  assert.equal(revoked!.actor_id, 'admin-api');
  assert.equal(revoked!.user_id, fx.userIds.ada);
  assert.equal(revoked!.detail.reason, 'admin');
  assert.equal(revoked!.detail.provider, 'oidc');
});

test('a provider with grants is deleted only with cascade, which revokes each grant and audits it', async (t) => {
  const fx = await connectFixture(t);
  await connect(fx, await signedIn(fx, 'ada'));
  await connect(fx, await signedIn(fx, 'bob'));
  // The resource naming the provider goes first (that refusal is the resources check).
  assert.equal((await fx.admin('/admin/broker-providers/oidc', { method: 'DELETE' })).status, 409);
  assert.equal((await fx.admin('/admin/resources/files', { method: 'DELETE' })).status, 204);

  const refused = await fx.admin('/admin/broker-providers/oidc', { method: 'DELETE' });
  assert.equal(refused.status, 409);
  const problem = await refused.json();
  assert.equal(problem.grants, 2);
  assert.match(problem.detail, /broker provider 'oidc' has 2 user grants; delete with cascade to revoke them too/);
  assert.equal((await grantRows(fx)).length, 2);
  assert.equal((await fx.admin('/admin/broker-providers/oidc?cascade=maybe', { method: 'DELETE' })).status, 400);

  assert.equal((await fx.admin('/admin/broker-providers/oidc?cascade=true', { method: 'DELETE' })).status, 204);
  assert.deepEqual(await grantRows(fx), []);
  const revoked = await auditEvents(fx, { action: 'broker_grant_revoked' });
  assert.deepEqual(revoked.map((e) => e.user_id).sort(), [fx.userIds.ada, fx.userIds.bob].sort());
  assert.ok(revoked.every((e) => e.detail.reason === 'provider_deleted' && e.actor_id === 'admin-api'));
  const [deleted] = await auditEvents(fx, { action: 'broker_provider_deleted' });
  assert.equal(deleted!.detail.grants_revoked, 2);
});

test('authserver admin broker-grant list and revoke work on the database directly', async (t) => {
  const dir = repoTempDir(t, 'broker-grant-cli-');
  const fx = await connectFixture(t, { dir });
  await connect(fx, await signedIn(fx, 'ada'));
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    ...BROKER_CONFIG_PLUGINS,
  });
  const cli = (...args: string[]) =>
    runCli([...args, '--config', config], {
      cwd: dir,
      env: { AUTHPLANE_ADMIN_ENABLED: 'false', AUTHPLANE_BROKER_MASTER_KEY: MASTER_KEY, OIDC_CLIENT_SECRET: OIDC_SECRET },
    });

  const json = await cli('admin', 'broker-grant', 'list', '--json');
  assert.equal(json.code, 0, json.stderr);
  const api = await (await fx.admin('/admin/broker-grants')).json();
  assert.deepEqual(JSON.parse(json.stdout), api, '--json prints what the API returns');

  const table = await cli('admin', 'broker-grant', 'list', '--provider', 'oidc', '--user-id', fx.userIds.ada);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^USER_ID\s+PROVIDER\s+VERSION\s+SCOPES\s+REFRESH\s+UPDATED_AT$/m);
  assert.match(table.stdout, new RegExp(`^${fx.userIds.ada}\\s+oidc\\s+1\\s+\\S+ \\S+ \\S+\\s+yes\\s+\\S+$`, 'm'));
  const badLimit = await cli('admin', 'broker-grant', 'list', '--limit', '0');
  assert.equal(badLimit.code, 1);
  assert.deepEqual(errorLines(badLimit.stderr), ['error: limit: must be an integer from 1 to 1000']);

  const usage = await cli('admin', 'broker-grant', 'revoke', fx.userIds.ada);
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /usage: authserver admin broker-grant revoke <user-id> <provider>/);
  const revoked = await cli('admin', 'broker-grant', 'revoke', fx.userIds.ada, 'oidc');
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.stdout.trim(), `revoked the grant of user ${fx.userIds.ada} with oidc`);
  assert.deepEqual(await grantRows(fx), []);
  const again = await cli('admin', 'broker-grant', 'revoke', fx.userIds.ada, 'oidc');
  assert.equal(again.code, 1);
  assert.deepEqual(errorLines(again.stderr), [`error: user '${fx.userIds.ada}' has no grant with broker provider 'oidc'`]);

  const [event] = await auditEvents(fx, { action: 'broker_grant_revoked' });
  assert.equal(event!.actor_id, 'cli');
});
