import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO_ROOT, tempDir } from '../helpers/server.js';
import { alive, HAS_SCRIPT, serverUnder, shellQuoted, signal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

const AUTHSERVER = [process.execPath, '--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bin/authserver.ts')];
const ENV = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  AUTHPLANE_SERVER_ADDRESS: '127.0.0.1:0',
  AUTHPLANE_ADMIN_ADDRESS: '127.0.0.1:0',
};

/**
 * `authserver serve` until `done(stdout)` holds (or 60 s), then SIGTERM; its stdout and stderr. `tty` runs it under a
 * pseudo-terminal (util-linux `script`), as a person's terminal would; script does not pass SIGTERM on, so the
 * server under it gets the signal itself.
 */
async function serveUntil(
  t: TestContext,
  options: { cwd: string; tty?: boolean; args?: string[]; done: (stdout: string) => boolean },
): Promise<{ stdout: string; stderr: string }> {
  const argv = [...AUTHSERVER, 'serve', ...(options.args ?? [])];
  const child = options.tty
    ? spawn('script', ['-qec', shellQuoted(argv), '/dev/null'], { cwd: options.cwd, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let server: number | undefined;
  t.after(() => {
    signal(server, 'SIGKILL');
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no expected output in 60 s:\n${stdout}\n${stderr}`)), 60_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (options.done(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve exited early:\n${stdout}\n${stderr}`));
    });
  });
  if (options.tty) {
    server = await waitFor('the server process under script', () => serverUnder(child.pid!));
    signal(server, 'SIGTERM');
    await waitFor('the server under script to exit on SIGTERM', () => !alive(server!));
  } else {
    child.kill('SIGTERM');
  }
  await exited;
  return { stdout: stdout.replace(/\r\n/g, '\n'), stderr };
}

test('on a terminal serve prints a start-up summary: where the data and keys are, the URLs, what to do next', { skip: !HAS_SCRIPT && 'util-linux script is not installed' }, async (t) => {
  const cwd = tempDir(t);
  const { stdout } = await serveUntil(t, {
    cwd,
    tty: true,
    // The log lines are buffered (kernel/observe/logger.ts): `listening` may come after the summary.
    done: (out) => out.includes('Logs follow as JSON lines.') && out.includes('"msg":"listening"'),
  });
  assert.match(stdout, /AuthPlane \d+\.\d+\.\d+\S* is serving/);
  assert.match(stdout, /^ {2}Issuer\s+http:\/\/localhost:9000$/m);
  const publicUrl = /^ {2}Public\s+(http:\/\/127\.0\.0\.1:\d+) /m.exec(stdout)?.[1];
  assert.ok(publicUrl, 'the public URL with its bound port');
  assert.notEqual(publicUrl, 'http://127.0.0.1:0');
  assert.match(stdout, /^ {2}Admin\s+http:\/\/127\.0\.0\.1:\d+ /m);
  assert.match(stdout, new RegExp(`^ {2}Database\\s+SQLite ${join(cwd, 'data', 'authserver.db')}$`, 'm'));
  assert.match(stdout, new RegExp(`^ {2}Signing keys\\s+${join(cwd, 'data', 'keys')}$`, 'm'));
  assert.match(stdout, /^Next:$/m);
  assert.match(stdout, /authserver admin --help/);
  assert.match(stdout, /export AUTHPLANE_ADMIN_API_KEY=/, 'how to enable the admin API, as no key is set');
  assert.match(stdout, /"msg":"listening"/, 'the logs are still JSON lines');
});

test('without a terminal serve writes JSON lines only, unless --banner asks for the summary', async (t) => {
  const cwd = tempDir(t);
  const plain = await serveUntil(t, { cwd, done: (out) => out.includes('"msg":"listening"') });
  const lines = plain.stdout.split('\n').filter((line) => line !== '');
  assert.ok(lines.length >= 2);
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line}`);
  assert.doesNotMatch(plain.stdout, /is serving/);

  const forced = await serveUntil(t, { cwd, args: ['--banner'], done: (out) => out.includes('Logs follow as JSON lines.') });
  assert.match(forced.stdout, /AuthPlane \S+ is serving/);
});
