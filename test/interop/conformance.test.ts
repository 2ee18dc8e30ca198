/**
 * The MCP conformance suite (`@modelcontextprotocol/conformance` 0.2.x, run on Node 22 from the interop tools
 * package): its `authorization` scenarios test an authorization server — the metadata document and a complete
 * authorization-code grant, for which it prints a URL for a person to open. The scripted browser is that person.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ScriptedBrowser } from '../helpers/browser.js';
import { freePort, tempDir } from '../helpers/server.js';
import { startInteropServer, USER } from './harness.js';
import { interopTools } from './tools.js';

/** How long an interop tool may run before it counts as hung. */
const TOOL_WAIT_MS = 300_000;

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** Every checks file the suite wrote under its output directory. */
function readChecks(dir: string): Check[] {
  const checks: Check[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) checks.push(...readChecks(path));
    else if (name.endsWith('.json')) {
      const parsed = JSON.parse(readFileSync(path, 'utf8'));
      if (Array.isArray(parsed)) checks.push(...parsed);
      else if (Array.isArray(parsed?.checks)) checks.push(...parsed.checks);
    }
  }
  return checks;
}

test('the MCP conformance suite authorization scenarios all pass against our issuer, with no warnings', async (t) => {
  const tools = await interopTools();
  // The suite's authorization request carries no `scope`: the resource's scopes are granted (oauth.requireScope).
  const server = await startInteropServer(t, { oauth: 'oauth({ requireScope: false })' });
  const port = await freePort();
  const registered = await fetch(`${server.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [`http://127.0.0.1:${port}/callback`], token_endpoint_auth_method: 'none' }),
  });
  const client = await registered.json();
  assert.equal(registered.status, 201, JSON.stringify(client));

  const outputDir = tempDir(t, 'conformance-');
  const child = spawn(
    tools.node,
    [tools.conformance, 'authorization', '--url', server.url, '--client-id', client.client_id, '--resource', server.mcp.url, '--port', String(port), '--output-dir', outputDir],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  let browsed: Promise<void> | undefined;
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Generous: the suite plus a scripted login on a loaded machine; reaching it is a hang, reported as such.
  const timer = setTimeout(() => {
    output += `\n[test] the conformance suite did not finish within ${TOOL_WAIT_MS / 1000} s: killed\n`;
    child.kill('SIGKILL');
  }, TOOL_WAIT_MS);
  child.stderr.on('data', (d) => (output += d));
  child.stdout.on('data', (d) => {
    output += d;
    const url = /^(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)$/m.exec(output)?.[1];
    if (url && !browsed) {
      browsed = (async () => {
        const browser = new ScriptedBrowser(server.url);
        const login = await browser.request(url);
        const consent = await browser.login(login, USER.email, USER.password);
        const callback = await browser.consent(consent, 'allow');
        assert.ok(callback.url.startsWith(`http://127.0.0.1:${port}/callback?`), callback.url);
        // Deliver the redirect to the suite's callback listener, as a browser would.
        await (await fetch(callback.url)).text();
      })();
    }
  });
  const code = await exited;
  clearTimeout(timer);
  await browsed;
  assert.equal(code, 0, output);
  const checks = readChecks(outputDir);
  assert.deepEqual(
    [...new Set(checks.map((c) => c.id))].sort(),
    ['authorization-code-grant', 'authorization-server-metadata', 'authorization-server-metadata-cimd'],
    output,
  );
  const notPassed = checks.filter((c) => c.status !== 'SUCCESS');
  assert.deepEqual(notPassed, [], `every check passes without a warning:\n${output}`);
});
