import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, tempDir } from '../../helpers/server.js';

const LINES = 3000;

/**
 * A process that logs through the server's logger (batched stdout) and ends the way `ending` says. The parent reads
 * its stdout through a pipe, as a container runtime or a log shipper does.
 */
async function runLogger(t: Parameters<typeof tempDir>[0], ending: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const dir = tempDir(t);
  const script = join(dir, 'child.ts');
  writeFileSync(
    script,
    [
      `import { createLogger } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'kernel/observe/logger.ts')).href)};`,
      `const log = createLogger({ log: { level: 'info' } }, []);`,
      `for (let i = 0; i < ${LINES}; i++) log.info({ n: i, request_id: 'r' + i }, 'request');`,
      ending,
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--conditions=authplane-source', '--import', import.meta.resolve('tsx'), script], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, lines: stdout.split('\n').filter(Boolean), stderr };
}

function assertAllLines(lines: string[]): void {
  const numbers = lines.map((line) => (JSON.parse(line) as { n: number }).n);
  assert.equal(numbers.length, LINES, `${LINES} lines written, ${numbers.length} read`);
  assert.deepEqual(numbers, Array.from({ length: LINES }, (_, i) => i), 'every line once, in order');
}

test('batched stdout: every line reaches the reader when the process ends on its own', async (t) => {
  const { code, lines } = await runLogger(t, '');
  assert.equal(code, 0);
  assertAllLines(lines);
});

test('batched stdout: process.exit() right after logging loses no line', async (t) => {
  const { code, lines } = await runLogger(t, 'process.exit(3);');
  assert.equal(code, 3);
  assertAllLines(lines);
});

test('batched stdout: an uncaught exception right after logging loses no line', async (t) => {
  const { code, lines, stderr } = await runLogger(t, "setImmediate(() => { throw new Error('crash after logging'); });");
  assert.equal(code, 1);
  assert.match(stderr, /crash after logging/);
  assertAllLines(lines);
});

test('batched stdout: a line written while the process keeps running arrives without a flush', async (t) => {
  // The child logs, then stays alive past the batch interval and exits through SIGKILL, which runs no handler: only
  // the timer can have written the lines.
  const { lines } = await runLogger(t, "setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1500);");
  assertAllLines(lines);
});
