import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { errorLines, fixtureImport, repoTempDir, writeConfigFile, type ConfigFileOptions } from '../helpers/config-files.js';
import { runCli, type CliResult } from '../helpers/server.js';

const STRONG_ADMIN_KEY = 'kJ8v2-Qx9LmZ4rT7wYb3NcF6';

/** Runs `authserver serve` against a config file; a bad config must stop it before it listens. */
async function serveWith(
  t: { after(fn: () => unknown): void },
  config: ConfigFileOptions,
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult & { file: string }> {
  const dir = repoTempDir(t, 'config-');
  const file = writeConfigFile(dir, {
    ...config,
    settings: {
      server: { address: '127.0.0.1:0' },
      admin: { address: '127.0.0.1:0' },
      storage: { sqlite: { path: join(dir, 'auth.db') } },
      signing: { keyPath: join(dir, 'keys') },
      ...config.settings,
    },
  });
  const result = await runCli(['serve', '--config', file], { cwd: dir, env });
  return { ...result, file };
}

/** Exit 1, one `error:` line, every expected problem listed, no stack trace. */
function assertRefused(result: CliResult, expected: string[]): string {
  assert.equal(result.code, 1, `exit code 1\n${result.stdout}\n${result.stderr}`);
  const errors = errorLines(result.stderr);
  assert.equal(errors.length, 1, `error: printed once\n${result.stderr}`);
  for (const line of expected) assert.ok(result.stderr.includes(line), `stderr lists "${line}"\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  assert.doesNotMatch(result.stdout, /"msg":"listening"/);
  return result.stderr;
}

describe('a bad configuration stops boot with exit 1 and every problem listed', { concurrency: 4 }, () => {
  test('schema problems in the file are all printed at once, each with its path', async (t) => {
    const result = await serveWith(t, {
      settings: {
        server: { issuer: 'not a url', address: '127.0.0.1:0', port: 9000 },
        log: { level: 'loud' },
        tokens: { accessTokenTtl: 5 },
      },
    });
    assertRefused(result, [
      'error: invalid configuration:',
      'server.issuer: must be an absolute URL',
      'server.port: is not a known option',
      'log.level: must be one of: fatal, error, warn, info, debug, trace, silent',
      'tokens.accessTokenTtl: must be >= 30',
    ]);
  });

  test('an unknown top-level section and a plugin option of the wrong type name their paths', async (t) => {
    const result = await serveWith(t, {
      settings: { sever: { issuer: 'http://localhost:9000' } },
      imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
      plugins: ["helloPlugin({ greeting: '' })"],
    });
    assertRefused(result, ['sever: is not a known option', 'helloPlugin.greeting: must NOT have fewer than 1 characters']);
  });

  test('a bad environment value is reported with the variable that set it', async (t) => {
    const result = await serveWith(t, {}, { AUTHPLANE_SHUTDOWN_TIMEOUT: 'soon', AUTHPLANE_LOG_LEVEL: 'chatty' });
    assertRefused(result, [
      'shutdown.timeout: must be integer (from AUTHPLANE_SHUTDOWN_TIMEOUT)',
      'log.level: must be one of: fatal, error, warn, info, debug, trace, silent (from AUTHPLANE_LOG_LEVEL)',
    ]);
  });

  test('a secret written in the config file is refused, naming the environment variable to use', async (t) => {
    const result = await serveWith(t, {
      settings: { admin: { address: '127.0.0.1:0', apiKey: STRONG_ADMIN_KEY } },
      imports: [fixtureImport('helloPlugin', 'hello-plugin.ts')],
      plugins: ["helloPlugin({ clientSecret: 'written-in-the-file-0123456789' })"],
    });
    assertRefused(result, [
      'admin.apiKey: is a secret and is read from the environment only; remove it from the config file and set AUTHPLANE_ADMIN_API_KEY',
      'helloPlugin.clientSecret: is a secret and is read from the environment only; remove it from the config file and set AUTHPLANE_HELLO_PLUGIN_CLIENT_SECRET',
    ]);
    assert.ok(!result.stderr.includes(STRONG_ADMIN_KEY), 'the secret itself is not echoed');
  });

  test('a non-localhost issuer without the admin key is refused', async (t) => {
    const result = await serveWith(t, { settings: { server: { issuer: 'https://auth.example.com', address: '127.0.0.1:0' } } });
    assertRefused(result, ['error: refusing to start:', 'AUTHPLANE_ADMIN_API_KEY: is required for a non-localhost issuer']);
  });

  test('the oauth plugin refuses a non-localhost issuer without AUTHPLANE_SESSION_SECRET, printed once like the kernel', async (t) => {
    const result = await serveWith(
      t,
      {
        imports: ["import { clients, oauth, resources, users } from 'authplane/plugins';"],
        plugins: ['clients()', 'resources()', 'users()', 'oauth()'],
      },
      { AUTHPLANE_SERVER_ISSUER: 'https://auth.example.com', AUTHPLANE_ADMIN_API_KEY: STRONG_ADMIN_KEY },
    );
    assertRefused(result, ['error: refusing to start:', 'AUTHPLANE_SESSION_SECRET: is required for a non-localhost issuer']);
  });

  test('obvious or short secrets are refused for a non-localhost issuer', async (t) => {
    const result = await serveWith(t, {}, {
      AUTHPLANE_SERVER_ISSUER: 'https://auth.example.com',
      AUTHPLANE_ADMIN_API_KEY: 'changeme',
    });
    assertRefused(result, ['AUTHPLANE_ADMIN_API_KEY: must be at least 16 characters and not an obvious value']);
    assert.ok(!result.stderr.includes('changeme'), 'the weak secret itself is not echoed');
  });

  test('a long but obvious admin key is refused too', async (t) => {
    const result = await serveWith(t, {}, {
      AUTHPLANE_SERVER_ISSUER: 'https://auth.example.com',
      AUTHPLANE_ADMIN_API_KEY: 'aaaaaaaaaaaaaaaaaaaaaaaa',
    });
    assertRefused(result, ['AUTHPLANE_ADMIN_API_KEY: must be at least 16 characters and not an obvious value']);
  });

  test('a plain-http issuer on a public host is refused', async (t) => {
    const result = await serveWith(t, {}, {
      AUTHPLANE_SERVER_ISSUER: 'http://auth.example.com',
      AUTHPLANE_ADMIN_API_KEY: STRONG_ADMIN_KEY,
    });
    assertRefused(result, ['server.issuer: must use https unless the host is localhost']);
  });

  test('an issuer with a query string is refused', async (t) => {
    const result = await serveWith(t, {}, { AUTHPLANE_SERVER_ISSUER: 'https://auth.example.com/?tenant=a' });
    assertRefused(result, ['server.issuer: must be an absolute URL (http or https) without query or fragment (from AUTHPLANE_SERVER_ISSUER)']);
  });

  test('a --config file that does not exist is an error naming the path', async (t) => {
    const dir = repoTempDir(t, 'config-');
    const missing = join(dir, 'nope.config.ts');
    const result = await runCli(['serve', '--config', missing], { cwd: dir });
    assertRefused(result, [`error: config file not found: ${missing}`]);
  });

  test('a config file that throws while loading is an error naming the file', async (t) => {
    const dir = repoTempDir(t, 'config-');
    const file = writeConfigFile(dir, { imports: ["throw new Error('broken on purpose');"] });
    const result = await runCli(['migrate', '--config', file], { cwd: dir });
    assertRefused(result, [`error: cannot load config file ${file}: broken on purpose`]);
  });

  test('a plugin enabled twice is refused', async (t) => {
    const result = await serveWith(t, { plugins: ['auditDb()'] });
    assertRefused(result, ["error: plugin 'audit-db' is enabled twice"]);
  });
});
