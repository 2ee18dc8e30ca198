/**
 * `authserver serve` on a terminal that goes away (the terminal window closed, an ssh session dropped): the kernel
 * sends SIGHUP, which reloads the keys, and every later write to stdout fails with EIO. The server must go on serving
 * and still stop on SIGTERM — not die of the write error, nor hang in its exit flush retrying the write.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, REPO_ROOT, tempDir } from '../helpers/server.js';
import { alive, HAS_SCRIPT, serverUnder, shellQuoted, signal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait.js';

test('serve outlives its terminal hanging up: it keeps answering, and SIGTERM still stops it', { skip: !HAS_SCRIPT && 'util-linux script is not installed' }, async (t) => {
  const port = await freePort();
  const argv = [process.execPath, '--conditions=authplane-source', '--import', import.meta.resolve('tsx'), join(REPO_ROOT, 'bin/authserver.ts'), 'serve'];
  const quoted = shellQuoted(argv);
  // Its own process group, so cleanup reaches the server under the terminal, not only `script`.
  const terminal = spawn('script', ['-qec', quoted, '/dev/null'], {
    cwd: tempDir(t),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}`, AUTHPLANE_ADMIN_ADDRESS: '127.0.0.1:0' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  terminal.stdout.resume();
  terminal.stderr.resume();
  let server: number | undefined;
  t.after(() => {
    for (const pid of [server, terminal.pid]) signal(pid, 'SIGKILL');
  });
  // Bounded: a server stuck in its exit flush still has its socket, so an unbounded request would wait forever.
  const health = () => fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, () => 0);
  await waitFor('the server on the terminal to answer /health', async () => (await health()) === 200);
  server = await waitFor('the server process under script', () => serverUnder(terminal.pid!));

  // The terminal goes away: the server gets SIGHUP and its stdout now fails with EIO.
  process.kill(terminal.pid!, 'SIGKILL');
  await waitFor('script to be gone', () => !alive(terminal.pid!));
  // Several requests, each writing an access line to the dead terminal after the batch interval.
  for (let i = 0; i < 3; i++) {
    assert.equal(await health(), 200, 'still serving after the hangup');
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  assert.ok(alive(server), 'the write errors did not end the process');

  process.kill(server, 'SIGTERM');
  await waitFor('the server to exit on SIGTERM', () => !alive(server!));
});
