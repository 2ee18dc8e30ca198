import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fixtureImport, repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { spawnServe } from '../helpers/server.js';

/** Resolves to the connection error code, or 'connected' when something still accepts on the port. */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('SIGTERM lets in-flight requests finish, refuses new connections and exits 0', async (t) => {
  const dir = repoTempDir(t, 'shutdown-');
  const release = join(dir, 'release-slow-request');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: [fixtureImport('slowPlugin', 'slow-plugin.ts')],
    plugins: [`slowPlugin({ releaseFile: ${JSON.stringify(release)} })`],
  });
  const server = await spawnServe(t, { cwd: dir, args: ['--config', config] });
  assert.equal(await tryConnect(server.url), 'connected');

  // The request ends when the test writes the release file, not after a delay a loaded machine could outrun.
  let finished = false;
  const inFlight = fetch(`${server.url}/slow`).then(async (response) => {
    finished = true;
    return { status: response.status, body: await response.json() };
  });
  await waitFor(() => server.output().includes('slow request started'), 'the slow request to reach its handler');

  server.child.kill('SIGTERM');
  await waitFor(() => server.output().includes('"msg":"shutting down"'), 'the shutdown log line');
  await sleep(100);
  assert.equal(finished, false, 'the request is still in flight');
  assert.equal(await tryConnect(server.url), 'ECONNREFUSED', 'a new connection is refused during the drain');
  assert.equal(await tryConnect(server.adminUrl!), 'ECONNREFUSED', 'the admin listener stopped too');
  assert.equal(server.child.exitCode, null, 'the process waits for the request');

  writeFileSync(release, '');
  const result = await inFlight;
  assert.equal(result.status, 200);
  assert.deepEqual(result.body, { done: true, released: true }, 'the handler ran to completion');

  assert.equal(await server.exited, 0);
  const output = server.output();
  assert.match(output, /"signal":"SIGTERM"/);
  assert.match(output, /"route":"\/slow","path":"\/slow","status":200/, 'the drained request was logged');
  assert.ok(output.indexOf('"msg":"stopped"') > output.indexOf('"route":"/slow"'), 'the database closed after the drain');
});

test('SIGINT shuts down the same way when nothing is in flight', async (t) => {
  const dir = repoTempDir(t, 'shutdown-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') } },
  });
  const server = await spawnServe(t, { cwd: dir, args: ['--config', config] });
  // An idle keep-alive connection must not hold the process open.
  assert.equal((await fetch(`${server.url}/livez`)).status, 200);
  const started = Date.now();
  server.child.kill('SIGINT');
  assert.equal(await server.exited, 0);
  assert.ok(Date.now() - started < 5000, 'exits promptly');
  assert.match(server.output(), /"signal":"SIGINT"/);
  assert.match(server.output(), /"msg":"stopped"/);
});

test('the drain is bounded by shutdown.timeout: a request still running is cut and the process exits', async (t) => {
  const dir = repoTempDir(t, 'shutdown-');
  const config = writeConfigFile(dir, {
    settings: {
      storage: { sqlite: { path: join(dir, 'auth.db') } },
      signing: { keyPath: join(dir, 'keys') },
      shutdown: { timeout: 1 },
    },
    imports: [fixtureImport('slowPlugin', 'slow-plugin.ts')],
    plugins: ['slowPlugin({ delayMs: 120000 })'],
  });
  const server = await spawnServe(t, { cwd: dir, args: ['--config', config] });
  const inFlight = fetch(`${server.url}/slow`).then(
    (response) => `status ${response.status}`,
    (err: Error) => `failed: ${err.message}`,
  );
  await waitFor(() => server.output().includes('slow request started'), 'the slow request to reach its handler');
  const started = Date.now();
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900, `waited for the drain (${elapsed} ms)`);
  // Against a two-minute handler: far above what a loaded machine adds to the 1 s drain, far below the handler.
  assert.ok(elapsed < 60_000, `did not wait for the 120 s handler (${elapsed} ms)`);
  assert.match(await inFlight, /^failed/, 'the unfinished request was cut');
});
