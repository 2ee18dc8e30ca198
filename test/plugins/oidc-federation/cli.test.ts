import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';

test('admin user link and unlink tie an upstream identity to an existing user, without calling the upstream', async (t) => {
  const dir = repoTempDir(t, 'oidc-federation-cli-');
  // An issuer nobody answers at: admin commands boot without the discovery `serve` does at start.
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { clients, oauth, oidcFederation, resources, users } from 'authplane/plugins';"],
    plugins: ['clients()', 'resources()', 'users()', 'oauth()', "oidcFederation({ providers: [{ id: 'acme', displayName: 'Acme ID', issuer: 'https://idp.invalid', clientId: 'x' }] })"],
  });
  const cli = (...args: string[]) => runCli([...args, '--config', config], { cwd: dir, env: { AUTHPLANE_ADMIN_ENABLED: 'false' } });

  const created = await cli('admin', 'user', 'create', '--email', 'pat@example.com', '--name', 'Pat', '--password', 'correct horse battery', '--json');
  assert.equal(created.code, 0, created.stderr);
  const pat = JSON.parse(created.stdout);

  const linked = await cli('admin', 'user', 'link', 'pat@example.com', '--provider', 'acme', '--subject', '00u1abc', '--json');
  assert.equal(linked.code, 0, linked.stderr);
  assert.deepEqual({ ...JSON.parse(linked.stdout), created_at: undefined }, { provider: 'acme', subject: '00u1abc', user_id: pat.id, created_at: undefined });

  const again = await cli('admin', 'user', 'link', pat.id, '--provider', 'acme', '--subject', '00u1abc');
  assert.equal(again.code, 1);
  assert.match(errorLines(again.stderr)[0] ?? '', /already linked to user 'pat@example\.com'/);
  const unknown = await cli('admin', 'user', 'link', pat.id, '--provider', 'nope', '--subject', 's');
  assert.equal(unknown.code, 1);
  assert.match(errorLines(unknown.stderr)[0] ?? '', /'nope' is not an upstream identity provider of this server \(acme\)/);

  const unlinked = await cli('admin', 'user', 'unlink', pat.id, '--provider', 'acme', '--subject', '00u1abc');
  assert.equal(unlinked.code, 0, unlinked.stderr);
  assert.match(unlinked.stdout, /unlinked acme identity 00u1abc/);
  const gone = await cli('admin', 'user', 'unlink', pat.id, '--provider', 'acme', '--subject', '00u1abc');
  assert.equal(gone.code, 1);
  assert.match(errorLines(gone.stderr)[0] ?? '', /has no identity/);
});
