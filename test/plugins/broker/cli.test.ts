import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { errorLines, repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { runCli } from '../../helpers/server.js';
import { BROKER_CONFIG_PLUGINS, GITHUB_SECRET } from './setup.js';

function setup(t: Parameters<typeof repoTempDir>[0]) {
  const dir = repoTempDir(t, 'broker-cli-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    ...BROKER_CONFIG_PLUGINS,
  });
  // The CLI works on the database directly: no admin listener, no admin key.
  const cli = (...args: string[]) =>
    runCli([...args, '--config', config], { cwd: dir, env: { AUTHPLANE_ADMIN_ENABLED: 'false', GOOGLE_CLIENT_SECRET: GITHUB_SECRET } });
  return { cli };
}

test('admin provider create, list, show, update and delete work with the admin listener disabled, and guard the resources naming a provider', async (t) => {
  const { cli } = setup(t);
  const created = await cli(
    'admin', 'provider', 'create',
    '--slug', 'google',
    '--display-name', 'Google',
    '--protocol', 'oauth',
    '--client-id', '1234.apps.googleusercontent.com',
    '--client-secret-ref', 'GOOGLE_CLIENT_SECRET',
    '--authorize-url', 'https://accounts.google.com/o/oauth2/v2/auth',
    '--token-url', 'https://oauth2.googleapis.com/token',
    '--authorize-params', 'access_type=offline,prompt=consent',
    '--default-scopes', 'openid https://www.googleapis.com/auth/drive.readonly',
    '--token-auth-method', 'client_secret_post',
    '--json',
  );
  assert.equal(created.code, 0, created.stderr);
  const provider = JSON.parse(created.stdout);
  assert.deepEqual(provider.config, {
    client_id: '1234.apps.googleusercontent.com',
    client_secret_ref: 'GOOGLE_CLIENT_SECRET',
    authorize_url: 'https://accounts.google.com/o/oauth2/v2/auth',
    token_url: 'https://oauth2.googleapis.com/token',
    authorize_params: { access_type: 'offline', prompt: 'consent' },
    default_scopes: ['openid', 'https://www.googleapis.com/auth/drive.readonly'],
    scope_separator: ' ',
    response_quirk: 'none',
    token_auth_method: 'client_secret_post',
    pkce: true,
  });
  assert.ok(!created.stdout.includes(GITHUB_SECRET) && !created.stderr.includes(GITHUB_SECRET), 'the secret is not printed');
  assert.doesNotMatch(created.stderr, /GOOGLE_CLIENT_SECRET/, 'a set variable is not warned about');

  const slack = await cli('admin', 'provider', 'create', '--data', JSON.stringify({
    slug: 'slack', display_name: 'Slack', protocol: 'oauth',
    config: { client_id: '123.456', authorize_url: 'https://slack.com/oauth/v2/authorize', token_url: 'https://slack.com/api/oauth.v2.access' },
  }), '--client-secret-ref', 'SLACK_CLIENT_SECRET', '--scope-separator', 'comma', '--response-quirk', 'slack', '--no-pkce');
  assert.equal(slack.code, 0, slack.stderr);
  assert.match(slack.stdout, /^config\.scope_separator\s+comma$/m);
  assert.match(slack.stdout, /^config\.pkce\s+false$/m);
  assert.match(slack.stderr, /the variable SLACK_CLIENT_SECRET holding its secret is not set/, 'an unset variable is warned about on stderr');

  const table = await cli('admin', 'provider', 'list');
  assert.match(table.stdout, /^ID\s+SLUG\s+PROTOCOL\s+DISPLAY_NAME$/m);
  assert.match(table.stdout, new RegExp(`^${provider.id}\\s+google\\s+oauth\\s+Google$`, 'm'));
  assert.deepEqual(JSON.parse((await cli('admin', 'provider', 'list', '--json')).stdout).providers.map((p: { slug: string }) => p.slug), ['google', 'slack']);
  const shown = await cli('admin', 'provider', 'show', 'google');
  assert.match(shown.stdout, /^config\.authorize_params\s+access_type=offline, prompt=consent$/m);

  const updated = await cli('admin', 'provider', 'update', provider.id, '--display-name', 'Google Drive', '--default-scopes', 'https://www.googleapis.com/auth/drive', '--json');
  assert.equal(updated.code, 0, updated.stderr);
  const after = JSON.parse(updated.stdout);
  assert.equal(after.display_name, 'Google Drive');
  assert.deepEqual(after.config.default_scopes, ['https://www.googleapis.com/auth/drive']);
  assert.deepEqual(after.config.authorize_params, provider.config.authorize_params, 'config members not given are kept');

  const resource = await cli('admin', 'resource', 'create', '--slug', 'drive', '--display-name', 'Drive', '--uri', 'https://drive.example.com/mcp',
    '--backend-kind', 'broker', '--broker-provider-id', provider.id, '--json');
  assert.equal(resource.code, 0, resource.stderr);
  assert.equal(JSON.parse(resource.stdout).broker_provider_id, 'google');
  const refused = await cli('admin', 'provider', 'delete', 'google');
  assert.equal(refused.code, 1);
  assert.deepEqual(errorLines(refused.stderr), ["error: broker provider 'google' is named by resource 'drive'; change or delete them first"]);
  assert.equal((await cli('admin', 'resource', 'delete', 'drive')).code, 0);
  const deleted = await cli('admin', 'provider', 'delete', 'google');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout.trim(), 'deleted broker provider google');
  const gone = await cli('admin', 'provider', 'show', 'google');
  assert.equal(gone.code, 1);
  assert.deepEqual(errorLines(gone.stderr), ["error: broker provider 'google' not found"]);
});

test('admin provider commands report problems on stderr with exit code 1', async (t) => {
  const { cli } = setup(t);
  const reserved = await cli('admin', 'provider', 'create', '--slug', 'x', '--display-name', 'X', '--protocol', 'oauth', '--client-id', 'c',
    '--client-secret-ref', 'X_SECRET', '--authorize-url', 'https://x.example.com/authorize', '--token-url', 'https://x.example.com/token',
    '--authorize-params', 'prompt=consent,redirect_uri=https://evil.example.com');
  assert.equal(reserved.code, 1);
  assert.deepEqual(errorLines(reserved.stderr), ['error: config.authorize_params.redirect_uri: is set by the broker itself and cannot be overridden']);
  const malformed = await cli('admin', 'provider', 'create', '--authorize-params', 'prompt');
  assert.equal(malformed.code, 1);
  assert.deepEqual(errorLines(malformed.stderr), ["error: --authorize-params: 'prompt' is not name=value"]);
  const usage = await cli('admin', 'provider', 'show');
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /usage: authserver admin provider show <id-or-slug>/);
});
