import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import knex from 'knex';
import { clientCredentials, clients, oauth, resources, revocation, users } from 'authplane/plugins';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli, startServer } from '../../helpers/server.js';
import { decodeJwt, machineToken, revoke } from './setup.js';

const QUIET = { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' };
const DAY = 86_400_000;

test('purge deletes only expired machine tokens and denylist rows, and every target reports its count', async (t) => {
  const dir = repoTempDir(t, 'purge-machine-');
  const fx = await startServer(t, { dir, plugins: [clients(), resources(), users(), oauth(), clientCredentials(), revocation()] });
  const created = await fx.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'Cron', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' }),
  });
  const client = await created.json();
  const tokens = [];
  for (let i = 0; i < 3; i++) tokens.push((await machineToken(fx.url, client)).access_token);
  const [expiredRevoked, expired, live] = tokens.map((token) => decodeJwt(token).claims.jti as string) as [string, string, string];
  assert.equal((await revoke(fx.url, client, tokens[0]!)).status, 200);
  assert.equal((await revoke(fx.url, client, tokens[2]!)).status, 200);
  await fx.server.stop();

  // Expiry set up in the database file: tokens live at least 30 s, and a test should not wait for them.
  const dbPath = join(dir, 'authserver.db');
  const db = knex({ client: 'better-sqlite3', connection: { filename: dbPath }, useNullAsDefault: true });
  t.after(() => db.destroy());
  const now = Date.now();
  await db('token_issuances').whereIn('jti', [expiredRevoked, expired]).update({ expires_at: now - 1000 });
  await db('token_denylist').where({ jti: expiredRevoked }).update({ expires_at: now - 1000 });
  const userRow = (jti: string, expiresAt: number) => ({
    jti,
    subject: 'user-1',
    client_id: 'ap_public',
    audience: '["https://mcp.example.com/mcp"]',
    scope: 'tools/read',
    grant_type: 'authorization_code',
    issued_at: expiresAt - 900_000,
    expires_at: expiresAt,
    revoked_at: null,
    parent_jti: null,
    cnf_jkt: null,
  });
  await db('token_issuances').insert([userRow('user-recent', now - 60_000), userRow('user-old', now - 31 * DAY)]);

  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: dbPath } }, signing: { keyPath: join(dir, 'keys') } },
    imports: ["import { clientCredentials, clients, oauth, resources, users } from 'authplane/plugins';"],
    plugins: ['clients()', 'resources()', 'users()', 'oauth()', 'clientCredentials()'],
  });
  const purge = async (...args: string[]) => {
    const result = await runCli(['purge', ...args, '--config', config], { cwd: dir, env: QUIET });
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const jtis = async () => (await db('token_issuances').select('jti').orderBy('jti')).map((r: { jti: string }) => r.jti);

  assert.equal(await purge('--only', 'machine_tokens'), 'machine_tokens: 2 deleted\n');
  assert.deepEqual(await jtis(), [live, 'user-old', 'user-recent'].sort(), 'the live machine token and user rows stay');
  assert.equal(await purge('--only', 'token_denylist'), 'token_denylist: 1 deleted\n');
  assert.deepEqual((await db('token_denylist').select('jti')).map((r: { jti: string }) => r.jti), [live], 'a live revoked jti stays denylisted');
  assert.equal(await purge('--only', 'token_issuances'), 'token_issuances: 1 deleted\n', 'only rows past issuanceRetentionDays');
  assert.deepEqual(await jtis(), [live, 'user-recent'].sort());

  const all = (await purge()).trim().split('\n');
  for (const target of ['authorization_codes', 'refresh_tokens', 'sessions', 'token_denylist', 'token_issuances', 'machine_tokens']) {
    assert.ok(all.includes(`${target}: 0 deleted`), `${target} in: ${all.join(' | ')}`);
  }
});
