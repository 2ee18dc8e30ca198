/**
 * The exit flush of the log destination: what is still batched is written synchronously (process exit does not wait
 * for an asynchronous write), and against a stdout that fails for good (the reader gone) the lines are dropped —
 * sonic-boom's `flushSync` alone retries every failing write, so the process would spin in its `exit` handler.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../helpers/server.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/log/exit-flush.ts');

function run(mode: 'batched' | 'queued', closeStdout: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const child = spawn(process.execPath, ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), FIXTURE, mode], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  // Only a hang reaches this: the process then never exits by itself.
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout });
    }),
  );
  // The reading end closed: every write to the child's stdout now fails with EPIPE.
  if (closeStdout) child.stdout.destroy();
  child.stdin.end('go\n');
  return exited;
}

test('lines still batched at exit are written, in order, before the process ends', async () => {
  const { code, stdout } = await run('batched', false);
  assert.equal(code, 0);
  assert.equal(stdout, '{"msg":"first"}\n{"msg":"last words"}\n');
});

test('a stdout that fails for good at the exit flush drops the lines and the process still exits', async () => {
  for (const mode of ['batched', 'queued'] as const) {
    const { code, signal } = await run(mode, true);
    assert.equal(signal, null, `${mode}: it exited by itself, not killed as hung`);
    assert.equal(code, 0, mode);
  }
});
