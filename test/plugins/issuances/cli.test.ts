import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import knex from 'knex';
import { clientCredentials, clients, issuances, resources } from 'authplane/plugins';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli, startServer } from '../../helpers/server.js';
import { decodeJwt, machineToken } from '../client-credentials/setup.js';

const QUIET = { AUTHPLANE_ADMIN_API_KEY: 'kJ8v2-Qx9LmZ4rT7wYb3NcF6' };
const RESOURCE = 'https://cli.example.com/mcp';

test('authserver admin issuance list, get and revoke work on the database with the same rules as the API', async (t) => {
  const dir = repoTempDir(t, 'issuance-cli-');
  const fx = await startServer(t, {
    dir,
    plugins: [clients(), resources(), clientCredentials(), issuances()],
  });
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'cli-mcp', display_name: 'CLI MCP', uri: RESOURCE, scopes: [{ name: 'read' }] }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const clientResponse = await fx.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({
      client_name: 'Batch job',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
    }),
  });
  const client = await clientResponse.json();
  const first = decodeJwt((await machineToken(fx.url, client, { resource: RESOURCE })).access_token).claims.jti as string;
  const second = decodeJwt((await machineToken(fx.url, client)).access_token).claims.jti as string;
  await fx.server.stop();

  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: ["import { clientCredentials, clients, issuances, resources } from 'authplane/plugins';"],
    plugins: ['clients()', 'resources()', 'clientCredentials()', 'issuances()'],
  });
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env: QUIET });

  const listed = await cli('admin', 'issuance', 'list', '--client', client.client_id, '--json');
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).issuances.map((i: { jti: string }) => i.jti), [second, first]);
  const byResource = await cli('admin', 'issuance', 'list', '--resource', RESOURCE);
  assert.equal(byResource.code, 0, byResource.stderr);
  assert.match(byResource.stdout, /^JTI\s+SUBJECT\s+CLIENT_ID\s+AUDIENCE/);
  assert.ok(byResource.stdout.includes(first) && !byResource.stdout.includes(second), byResource.stdout);

  const unfiltered = await cli('admin', 'issuance', 'list', '--limit', '1', '--json');
  assert.equal(unfiltered.code, 0, unfiltered.stderr);
  assert.deepEqual(JSON.parse(unfiltered.stdout), { issuances: JSON.parse(listed.stdout).issuances, next: null }, 'every page, one token at a time');
  const tooMany = await cli('admin', 'issuance', 'list', '--client', client.client_id, '--limit', '1001');
  assert.equal(tooMany.code, 1);
  assert.match(errorLines(tooMany.stderr)[0] ?? '', /limit: must be an integer from 1 to 1000/);

  const got = await cli('admin', 'issuance', 'get', first, '--json');
  assert.equal(got.code, 0, got.stderr);
  assert.equal(JSON.parse(got.stdout).status, 'active');

  const revoked = await cli('admin', 'issuance', 'revoke', first);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.stdout, `token ${first} is revoked\n`);
  const again = await cli('admin', 'issuance', 'revoke', first, '--json');
  assert.equal(again.code, 0, 'revoking twice is fine');
  assert.equal(JSON.parse(again.stdout).status, 'revoked');
  const shown = await cli('admin', 'issuance', 'get', first);
  assert.match(shown.stdout, /^status\s+revoked$/m);

  const missing = await cli('admin', 'issuance', 'get', 'no-such-jti');
  assert.equal(missing.code, 1);
  assert.deepEqual(errorLines(missing.stderr), ["error: no issuance with jti 'no-such-jti'"]);
  const usage = await cli('admin', 'issuance', 'revoke');
  assert.equal(usage.code, 1);
  assert.deepEqual(errorLines(usage.stderr), ['error: usage: authserver admin issuance revoke <jti>']);

  const after = await cli('admin', 'issuance', 'list', '--jti', second, '--json');
  assert.equal(JSON.parse(after.stdout).issuances[0].status, 'active', 'the other token is untouched');
  // The revocation went to the denylist every server checks, not only to the issuance row.
  const db = knex({ client: 'better-sqlite3', connection: { filename: join(dir, 'authserver.db') }, useNullAsDefault: true });
  try {
    const denied = await db('token_denylist').select('jti', 'reason');
    assert.deepEqual(denied, [{ jti: first, reason: 'admin' }]);
  } finally {
    await db.destroy();
  }
});
