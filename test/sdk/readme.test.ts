/**
 * Commands of sdk/README.md run as written (from the README text, not restated here), against a real CLI and server.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { clients, oauth, resources, users } from 'authplane/plugins';
import { repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { REPO_ROOT, runCli, startServer } from '../helpers/server.js';

/** The README's shell command starting with `prefix` (continuation lines joined), split into words as sh would. */
function readmeCommand(prefix: string): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'sdk/README.md'), 'utf8').replace(/\\\n\s*/g, '');
  const line = readme.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line, `sdk/README.md has a command starting with ${prefix}`);
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

test('the client the sdk README registers for the MCP Inspector accepts both Inspector callbacks: web UI and CLI', async (t) => {
  const dir = repoTempDir(t, 'sdk-readme-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') }, log: { level: 'warn' } },
    imports: ["import { clients } from 'authplane/plugins';"],
    plugins: ['clients()'],
  });
  const words = readmeCommand('npm run authserver -- admin client create --name "Inspector"');
  const created = await runCli([...words.slice(words.indexOf('--') + 1), '--json', '--config', config], {
    cwd: dir,
    env: { AUTHPLANE_ADMIN_ENABLED: 'false' },
  });
  assert.equal(created.code, 0, created.stderr);
  const clientId = (JSON.parse(created.stdout) as { client_id: string }).client_id;

  const server = await startServer(t, { dir, plugins: [clients(), resources(), users(), oauth()] });
  const resource = await server.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'notes', display_name: 'Notes', uri: 'http://localhost:3000/mcp', scopes: [{ name: 'notes/read' }, { name: 'notes/write' }] }),
  });
  assert.equal(resource.status, 201);

  const verifier = randomBytes(32).toString('base64url');
  for (const redirectUri of ['http://localhost:6274/oauth/callback', 'http://127.0.0.1:6276/oauth/callback']) {
    const authorize = new URL('/oauth/authorize', server.url);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'notes/read',
      resource: 'http://localhost:3000/mcp',
      state: 'xyz',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const response = await fetch(authorize, { redirect: 'manual' });
    // Accepted: on to the login page (no session yet) rather than an error page about the redirect URI.
    assert.equal(response.status, 302, `${redirectUri}: ${await response.text()}`);
    assert.match(response.headers.get('location') ?? '', /\/login\?return_to=/, redirectUri);
  }
});
