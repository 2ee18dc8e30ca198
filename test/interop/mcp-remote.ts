/**
 * mcp-remote (the stdio proxy Claude Desktop and other stdio-only clients use for remote MCP servers) driven the way
 * such a client drives it: spawned as a child process speaking MCP over stdin/stdout, here through the official
 * SDK's StdioClientTransport. Its login opens the browser through `open` → xdg-open → $BROWSER, a script running
 * browser-approve.ts (the scripted browser logs in and approves), as in the Inspector test.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { freePort, tempDir } from '../helpers/server.js';
import { interopTools } from './tools.js';

export interface McpRemoteSession {
  client: Client;
  /** mcp-remote's stderr and the browser script's log, for assertion messages. */
  report(): string;
  /** The redirect URI mcp-remote registers. */
  callbackUrl: string;
  /** Its HOME, where it keeps the registered client and the tokens (~/.mcp-auth). */
  home: string;
  /** How many times the scripted browser approved an authorization so far (in this HOME). */
  approvals(): number;
}

/** Spawns mcp-remote for `mcpUrl` with a fresh HOME (no stored client or tokens) and connects an MCP client to it. */
export async function connectThroughMcpRemote(
  t: TestContext,
  mcpUrl: string,
  options: {
    user?: { email: string; password: string };
    args?: string[];
    /** A HOME from an earlier session, with the client and tokens mcp-remote stored there. */
    home?: string;
    callbackPort?: number;
  } = {},
): Promise<McpRemoteSession> {
  const tools = await interopTools();
  const home = options.home ?? tempDir(t, 'mcp-remote-home-');
  const browserLog = join(home, 'browser.log');
  const browserScript = join(home, 'approve-browser.sh');
  const userEnv = options.user ? `APPROVE_EMAIL=${JSON.stringify(options.user.email)} APPROVE_PASSWORD=${JSON.stringify(options.user.password)} ` : '';
  writeFileSync(
    browserScript,
    [
      '#!/bin/sh',
      `${userEnv}exec ${JSON.stringify(process.execPath)} --conditions=authplane-source --import ${JSON.stringify(import.meta.resolve('tsx'))} ${JSON.stringify(join(import.meta.dirname, 'browser-approve.ts'))} "$1" >> ${JSON.stringify(browserLog)} 2>&1`,
      '',
    ].join('\n'),
  );
  chmodSync(browserScript, 0o755);
  if (!options.home) writeFileSync(browserLog, '');
  const callbackPort = options.callbackPort ?? (await freePort());
  const transport = new StdioClientTransport({
    command: tools.node,
    args: [tools.mcpRemote, mcpUrl, String(callbackPort), '--host', '127.0.0.1', ...(options.args ?? [])],
    cwd: home,
    env: { PATH: process.env.PATH ?? '', HOME: home, MCP_REMOTE_CONFIG_DIR: join(home, '.mcp-auth'), BROWSER: browserScript, NO_COLOR: '1' },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  const client = new Client({ name: 'mcp-remote-test', version: '1.0.0' });
  t.after(() => client.close());
  const report = () => `mcp-remote stderr:\n${stderr}\nbrowser:\n${readFileSync(browserLog, 'utf8')}`;
  try {
    await client.connect(transport);
  } catch (err) {
    throw new Error(`mcp-remote did not connect: ${(err as Error).message}\n${report()}`);
  }
  return {
    client,
    report,
    callbackUrl: `http://127.0.0.1:${callbackPort}/oauth/callback`,
    home,
    approvals: () => (readFileSync(browserLog, 'utf8').match(/^approved, redirecting/gm) ?? []).length,
  };
}
