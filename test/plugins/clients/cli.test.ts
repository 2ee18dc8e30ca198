import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { clients } from 'authplane/plugins';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli, startServer } from '../../helpers/server.js';
import { json } from './crud-scenario.js';

test('the client CLI creates, lists, shows, updates, rotates, suspends and deletes clients with the admin listener off', async (t) => {
  const dir = repoTempDir(t, 'clients-cli-');
  writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: ["import { clients } from 'authplane/plugins';"],
    plugins: ['clients()'],
  });
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false' };
  const cli = async (...args: string[]) => {
    const result = await runCli(['admin', 'client', ...args], { cwd: dir, env });
    return { ...result, json: () => JSON.parse(result.stdout) };
  };

  const created = await cli(
    'create', '--name', 'CLI app', '--redirect-uris', 'https://app.example.com/cb,http://127.0.0.1/cb',
    '--grant-types', 'authorization_code,refresh_token', '--auth-method', 'client_secret_basic', '--scope', 'a b', '--json',
  );
  assert.equal(created.code, 0, created.stderr);
  const client = created.json();
  assert.match(client.client_id, /^ap_/);
  assert.match(client.client_secret, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(client.redirect_uris, ['https://app.example.com/cb', 'http://127.0.0.1/cb']);
  assert.equal(client.scope, 'a b');

  const fromData = await cli(
    'create',
    '--data',
    JSON.stringify({ client_name: 'From data', grant_types: ['authorization_code'], redirect_uris: ['https://d.example.com/cb'], token_endpoint_auth_method: 'none', scope: 'x', agent: true }),
  );
  assert.equal(fromData.code, 0, fromData.stderr);
  assert.match(fromData.stdout, /client_name\s+From data/);
  assert.doesNotMatch(fromData.stdout, /client_secret/, 'a public client has no secret to print');

  const listed = await cli('list', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  const { clients: rows } = listed.json();
  assert.deepEqual(rows.map((c: { client_name: string }) => c.client_name).sort(), ['CLI app', 'From data']);
  assert.ok(!listed.stdout.includes(client.client_secret) && !listed.stdout.includes('secret_digest'));
  const table = await cli('list', '--status', 'active');
  assert.match(table.stdout, /^CLIENT_ID\s+CLIENT_NAME\s+STATUS/);

  const shown = await cli('get', client.client_id, '--json');
  assert.equal(shown.json().client_name, 'CLI app');
  assert.equal('client_secret' in shown.json(), false);

  const updated = await cli('update', client.client_id, '--name', 'Renamed', '--agent', '--agent-description', 'Files bot', '--json');
  assert.equal(updated.code, 0, updated.stderr);
  assert.equal(updated.json().client_name, 'Renamed');
  assert.equal(updated.json().agent, true);
  assert.equal(updated.json().scope, 'a b', 'fields without a flag are kept');
  assert.deepEqual(updated.json().admin_fields, ['agent', 'agent_description', 'client_name'], 'the fields the administrator set are recorded');
  assert.equal(updated.json().agent_description, 'Files bot');
  const unflagged = await cli('update', client.client_id, '--no-agent', '--json');
  assert.equal(unflagged.code, 0, unflagged.stderr);
  assert.equal(unflagged.json().agent, false, '--no-agent clears the flag');

  const rotated = await cli('rotate-secret', client.client_id, '--json');
  assert.notEqual(rotated.json().client_secret, client.client_secret);

  const suspended = await cli('suspend', client.client_id);
  assert.equal(suspended.stdout.trim(), `client ${client.client_id} is now suspended`);
  assert.equal((await cli('revoke', client.client_id)).code, 0);
  const refused = await cli('reactivate', client.client_id);
  assert.equal(refused.code, 1);
  assert.match(errorLines(refused.stderr)[0] ?? '', /is revoked/);

  const invalid = await cli('create', '--name', 'Bad', '--grant-types', 'password', '--auth-method', 'none', '--scope', '');
  assert.equal(invalid.code, 1);
  assert.match(errorLines(invalid.stderr)[0] ?? '', /grant_types\.0: must be one of/);

  const fromDataId = JSON.parse((await cli('list', '--json')).stdout).clients.find((c: { client_name: string }) => c.client_name === 'From data').client_id;
  const deleted = await cli('delete', fromDataId);
  assert.equal(deleted.stdout.trim(), `deleted client ${fromDataId}`);
  const missing = await cli('get', fromDataId);
  assert.equal(missing.code, 1);
  assert.match(errorLines(missing.stderr)[0] ?? '', /not found/);

  // The same database served over HTTP sees what the CLI did, and its audit trail names the CLI as actor.
  const srv = await startServer(t, { plugins: [clients()], dir });
  const overHttp = await json(await srv.admin(`/admin/clients/${client.client_id}`));
  assert.equal(overHttp.status, 'revoked');
  assert.equal(overHttp.client_name, 'Renamed');
  const { events } = await json(await srv.admin(`/admin/audit?client_id=${client.client_id}`));
  assert.deepEqual(
    events.map((e: { action: string }) => e.action),
    ['client_revoked', 'client_suspended', 'client_secret_rotated', 'client_updated', 'client_updated', 'client_created'],
  );
  assert.ok(events.every((e: { actor_id: string }) => e.actor_id === 'cli'));
});
