/**
 * MCP Inspector's CLI (`mcp-inspector --cli … --method tools/list`, Node 22 from the interop tools package) completes
 * OAuth headless: MCP_AUTO_OPEN_ENABLED=true makes it open the authorization URL, `open` runs xdg-open, which runs
 * $BROWSER — a script that logs in and approves with the scripted browser (browser-approve.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { freePort, tempDir } from '../helpers/server.js';
import { cimdDocument, startHttpsDocumentHost, startInteropServer, type InteropServer } from './harness.js';
import { interopTools } from './tools.js';

/** How long an interop tool may run before it counts as hung. */
const TOOL_WAIT_MS = 300_000;

interface InspectorRun {
  code: number | null;
  stdout: string;
  /** Everything, for assertion messages. */
  report: string;
}

/** Runs `mcp-inspector --cli <mcp url> --transport http --method tools/list` with $BROWSER approving. */
async function inspectorToolsList(t: TestContext, server: InteropServer, callbackPort: number, extraArgs: string[] = []): Promise<InspectorRun> {
  const tools = await interopTools();
  const home = tempDir(t, 'inspector-home-');
  const browserLog = join(home, 'browser.log');
  const browserScript = join(home, 'approve-browser.sh');
  writeFileSync(
    browserScript,
    [
      '#!/bin/sh',
      `exec ${JSON.stringify(process.execPath)} --conditions=authplane-source --import ${JSON.stringify(import.meta.resolve('tsx'))} ${JSON.stringify(join(import.meta.dirname, 'browser-approve.ts'))} "$1" >> ${JSON.stringify(browserLog)} 2>&1`,
      '',
    ].join('\n'),
  );
  chmodSync(browserScript, 0o755);
  writeFileSync(browserLog, '');
  const child = spawn(
    tools.node,
    [
      tools.inspector,
      '--cli',
      server.mcp.url,
      '--transport',
      'http',
      '--method',
      'tools/list',
      '--callback-url',
      `http://127.0.0.1:${callbackPort}/oauth/callback`,
      ...extraArgs,
    ],
    {
      cwd: home,
      // HOME is fresh, so the Inspector starts with no stored client or tokens.
      env: { PATH: process.env.PATH, HOME: home, MCP_AUTO_OPEN_ENABLED: 'true', BROWSER: browserScript, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // Generous: DCR, a scripted login and the tool call on a loaded machine; reaching it is a hang, reported as such.
  const timer = setTimeout(() => {
    stderr += `\n[test] the Inspector CLI did not finish within ${TOOL_WAIT_MS / 1000} s: killed\n`;
    child.kill('SIGKILL');
  }, TOOL_WAIT_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, report: `exit ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}\nbrowser:\n${readFileSync(browserLog, 'utf8')}` };
}

async function storedClients(server: InteropServer): Promise<[string, string][]> {
  const { clients } = await (await server.admin('/admin/clients')).json();
  return clients.map((c: { client_id: string; registration_source: string }) => [c.client_id, c.registration_source]);
}

test('MCP Inspector CLI registers with DCR, completes OAuth through $BROWSER and lists the tools', async (t) => {
  const server = await startInteropServer(t);
  const run = await inspectorToolsList(t, server, await freePort());
  assert.equal(run.code, 0, run.report);
  assert.deepEqual(JSON.parse(run.stdout).tools.map((tool: { name: string }) => tool.name), ['whoami'], run.report);
  const clients = await storedClients(server);
  assert.deepEqual(clients.map(([, source]) => source), ['dcr'], run.report);
});

test('MCP Inspector CLI with --client-metadata-url uses the metadata document instead of registering', async (t) => {
  const server = await startInteropServer(t);
  const host = await startHttpsDocumentHost(t);
  const callbackPort = await freePort();
  const metadataUrl = host.serve('/oauth/inspector.json', (url) => ({
    ...cimdDocument('MCP Inspector')(url),
    redirect_uris: [`http://127.0.0.1:${callbackPort}/oauth/callback`],
  }));
  const run = await inspectorToolsList(t, server, callbackPort, ['--client-metadata-url', metadataUrl]);
  assert.equal(run.code, 0, run.report);
  assert.deepEqual(JSON.parse(run.stdout).tools.map((tool: { name: string }) => tool.name), ['whoami'], run.report);
  assert.deepEqual(await storedClients(server), [[metadataUrl, 'cimd']], run.report);
});
