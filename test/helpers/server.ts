/**
 * Real servers for tests: in-process through the plugin author's kit (authplane/testing: port 0, temp SQLite file
 * or a fresh PostgreSQL database), or as a child process running the CLI. Everything is cleaned up through the test
 * context's `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { startServer as startKitServer, type StartOptions, type TestServer } from 'authplane/testing';

export { ADMIN_KEY, basePlugins, freePort, tempDir, type TestServer } from 'authplane/testing';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/**
 * The kit's server, plus the run's fast-path switch: `npm test` runs the HTTP and OAuth tests a second time with
 * AUTHPLANE_SERVER_FAST_PATHS=false (run-tests.mjs), and the kit does not read the process environment.
 */
export function startServer(t: TestContext, options: StartOptions = {}): Promise<TestServer> {
  const fastPaths = process.env.AUTHPLANE_SERVER_FAST_PATHS;
  const env = fastPaths === undefined ? options.env : { AUTHPLANE_SERVER_FAST_PATHS: fastPaths, ...options.env };
  return startKitServer(t, { ...options, ...(env ? { env } : {}) });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * How long a child `authserver` may take to finish a command or to come up. Starting one compiles the sources
 * through tsx, a few seconds on an idle machine and many times that on a loaded one; a wait exists to turn a hang
 * into a failure that says what it waited for, not to measure speed.
 */
export const CHILD_WAIT_MS = 120_000;

/** The end of a child's output, for an error message. */
export function outputTail(label: string, text: string, chars = 4000): string {
  if (!text) return `${label}: (nothing)`;
  return `${label}${text.length > chars ? ` (last ${chars} of ${text.length} characters)` : ''}:\n${text.slice(-chars)}`;
}

// tsx by absolute URL: `--import tsx` resolves from the child's cwd, which a test may put outside the repository.
const TSX_ARGS = ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bin/authserver.ts')];

/** Runs `authserver …` as a child process (source through tsx), with `input` on its stdin, and waits for it to exit. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string; user?: { uid: number; gid: number } },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...TSX_ARGS, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      ...options.user,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timeoutMs = options.timeoutMs ?? CHILD_WAIT_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `\`authserver ${args.join(' ')}\` (in ${options.cwd}) did not exit within ${timeoutMs / 1000} s; killed.\n` +
            `${outputTail('stdout', stdout)}\n${outputTail('stderr', stderr)}`,
        ),
      );
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts `authserver serve` as a child and resolves once it logs `listening` (ports read from the log). */
export async function spawnServe(
  t: TestContext,
  options: { cwd: string; env?: NodeJS.ProcessEnv; args?: string[]; command?: string[] },
): Promise<{ child: ChildProcess; url: string; adminUrl: string | undefined; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(options.command?.[0] ?? process.execPath, [...(options.command?.slice(1) ?? TSX_ARGS), 'serve', ...(options.args ?? [])], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AUTHPLANE_SERVER_ADDRESS: '127.0.0.1:0',
      AUTHPLANE_ADMIN_ADDRESS: '127.0.0.1:0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const what = `\`authserver serve${options.args?.length ? ` ${options.args.join(' ')}` : ''}\` (in ${options.cwd}) to log "listening"`;
  const listening = await new Promise<Record<string, string>>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`waited ${CHILD_WAIT_MS / 1000} s for ${what}; it did not.\n${outputTail('its output', output)}`)),
      CHILD_WAIT_MS,
    );
    const onData = (d: Buffer) => {
      output += d;
      for (const line of output.split('\n')) {
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolvePromise(JSON.parse(line));
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (output += d));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`waited for ${what}, but it exited with code ${code}.\n${outputTail('its output', output)}`));
    });
  });
  const port = (address: string) => address.slice(address.lastIndexOf(':') + 1);
  return {
    child,
    url: `http://127.0.0.1:${port(listening.public!)}`,
    adminUrl: listening.admin === 'disabled' ? undefined : `http://127.0.0.1:${port(listening.admin!)}`,
    output: () => output,
    exited,
  };
}
