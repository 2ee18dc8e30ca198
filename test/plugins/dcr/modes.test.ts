import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { clients, dcr, oauth, resources, users } from 'authplane/plugins';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli, startServer, tempDir } from '../../helpers/server.js';
import { dcrServer, PUBLIC_CLIENT } from './setup.js';

test('approved_redirects mode accepts only redirect URIs on the approved list, compared exactly', async (t) => {
  const approved = 'https://app.example.com/callback';
  const fx = await dcrServer(t, { dcrOptions: { mode: 'approved_redirects', approvedRedirects: [approved] } });
  const refused = await fx.register({ ...PUBLIC_CLIENT, redirect_uris: [approved, 'https://app.example.com/callback/', 'https://evil.example.com/cb'] });
  const error = await refused.json();
  assert.equal(refused.status, 400);
  assert.equal(error.error, 'invalid_redirect_uri');
  assert.match(error.error_description, /redirect_uris\.1: is not an approved redirect URI/);
  assert.match(error.error_description, /redirect_uris\.2: is not an approved redirect URI/);
  assert.doesNotMatch(error.error_description, /redirect_uris\.0/);
  const machine = await fx.register({ client_name: 'No redirects', grant_types: ['refresh_token'], response_types: [] });
  assert.match((await machine.json()).error_description, /redirect_uris: is required in approved_redirects mode/, 'no redirect URI is no way around the list');
  const accepted = await fx.register({ ...PUBLIC_CLIENT, redirect_uris: [approved] });
  assert.equal(accepted.status, 201, await accepted.clone().text());
});

test('admin_only mode from the environment refuses every registration with 403 access_denied', async (t) => {
  const fx = await dcrServer(t, { env: { AUTHPLANE_DCR_MODE: 'admin_only' } });
  const response = await fx.register(PUBLIC_CLIENT);
  const body = await response.json();
  assert.equal(response.status, 403);
  assert.equal(body.error, 'access_denied');
  const settings = await (await fx.admin('/admin/settings/dcr')).json();
  assert.deepEqual({ mode: settings.mode, source: settings.source }, { mode: 'admin_only', source: 'config' });
});

test('a mode switched at run time applies at once, is audited, and wins over the config after a restart', async (t) => {
  const dir = tempDir(t);
  const plugins = () => [clients(), resources(), users(), oauth(), dcr({ mode: 'open' })];
  const first = await startServer(t, { dir, plugins: plugins() });
  const register = (url: string) =>
    fetch(`${url}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PUBLIC_CLIENT) });
  assert.equal((await register(first.url)).status, 201);
  assert.ok(first.logs.some((l) => l.msg === 'dcr mode in force' && l.mode === 'open' && l.source === 'config'));

  const bad = await first.admin('/admin/settings/dcr', { method: 'PATCH', body: JSON.stringify({ mode: 'closed' }) });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).detail, /mode: must be one of: open, approved_redirects, admin_only/);
  const patched = await first.admin('/admin/settings/dcr', { method: 'PATCH', body: JSON.stringify({ mode: 'admin_only' }) });
  const view = await patched.json();
  assert.equal(patched.status, 200, JSON.stringify(view));
  assert.deepEqual(
    { mode: view.mode, source: view.source, configured_mode: view.configured_mode, updated_by: view.updated_by },
    { mode: 'admin_only', source: 'runtime', configured_mode: 'open', updated_by: 'admin-api' },
  );
  assert.equal((await register(first.url)).status, 403, 'the switch applies to the next request');
  await first.server.runtimeApi().audit.flush();
  const audit = await (await first.admin('/admin/audit?action=dcr_mode_changed')).json();
  assert.deepEqual(audit.events.map((e: { detail: unknown }) => e.detail), [{ from: 'open', to: 'admin_only' }]);
  await first.server.stop();

  const second = await startServer(t, { dir, plugins: plugins() });
  assert.equal((await register(second.url)).status, 403, 'the stored mode outlives the restart');
  assert.ok(
    second.logs.some((l) => l.msg === 'dcr mode in force' && l.mode === 'admin_only' && l.source === 'runtime' && l.configured_mode === 'open'),
    'the boot log says which mode is in force and why',
  );
  const back = await second.admin('/admin/settings/dcr', { method: 'PATCH', body: JSON.stringify({ mode: 'open' }) });
  assert.equal(back.status, 200);
  assert.equal((await register(second.url)).status, 201);
});

test('authserver admin dcr get and set read and switch the stored mode with the admin listener off', async (t) => {
  const dir = repoTempDir(t, 'dcr-cli-');
  writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: ["import { clients, dcr } from 'authplane/plugins';"],
    plugins: ["clients()", "dcr({ mode: 'approved_redirects' })"],
  });
  const env = { AUTHPLANE_ADMIN_ENABLED: 'false' };
  const cli = (...args: string[]) => runCli(['admin', 'dcr', ...args], { cwd: dir, env });

  const initial = await cli('get', '--json');
  assert.equal(initial.code, 0, initial.stderr);
  assert.deepEqual(JSON.parse(initial.stdout), {
    mode: 'approved_redirects',
    source: 'config',
    configured_mode: 'approved_redirects',
    updated_at: null,
    updated_by: null,
  });
  const missing = await cli('set');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--mode/);
  const wrong = await cli('set', '--mode', 'everyone');
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /must be one of: open, approved_redirects, admin_only/);

  const set = await cli('set', '--mode', 'admin_only');
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^mode: admin_only \(set at run time by cli at /);
  assert.match(set.stdout, /configured mode: approved_redirects \(overridden\)/);
  const after = await cli('get', '--json');
  const view = JSON.parse(after.stdout);
  assert.deepEqual({ mode: view.mode, source: view.source, updated_by: view.updated_by }, { mode: 'admin_only', source: 'runtime', updated_by: 'cli' });
});
