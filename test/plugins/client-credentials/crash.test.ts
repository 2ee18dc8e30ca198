/**
 * Durability under a crash: `kill -9` the server while it issues client_credentials tokens under concurrent load,
 * restart it on the same SQLite file, and every token whose response reached the client has its issuance row.
 * This is what "the row is durable before the response is sent" (group commit) promises.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { ADMIN_KEY, spawnServe } from '../../helpers/server.js';
import { decodeJwt, requestMachineToken } from './setup.js';

const WORKERS = 16;
/** Enough answered tokens that the kill lands in the middle of steady load. */
const KILL_AFTER = 300;

test('after kill -9 under load, every machine token whose response was received has its issuance row', async (t) => {
  const dir = repoTempDir(t, 'crash-');
  const config = writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: ["import { clientCredentials, clients, issuances, resources } from 'authplane/plugins';"],
    plugins: ['clients()', 'resources()', 'clientCredentials()', 'issuances()'],
  });
  const env = { AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY, AUTHPLANE_LOG_LEVEL: 'info' };
  const first = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const admin = (base: string, path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' } });
  const created = await admin(first.adminUrl!, '/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'Load', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' }),
  });
  assert.equal(created.status, 201);
  const client = await created.json();

  const received: string[] = [];
  let failed = 0;
  let killed = false;
  // Each worker keeps requesting until a request fails: the kill lands while all of them are busy, and none stops
  // early just because the others already reached KILL_AFTER (a fast server answers everything in flight at once).
  const worker = async () => {
    for (;;) {
      try {
        const response = await requestMachineToken(first.url, client);
        const body = await response.json();
        assert.equal(response.status, 200, JSON.stringify(body));
        received.push(decodeJwt(body.access_token).claims.jti as string);
        if (received.length >= KILL_AFTER && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        failed++; // the connection died with the server: this response was never received
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
  assert.equal(await first.exited, null, 'the server died from the signal, not a clean exit');
  assert.ok(received.length >= KILL_AFTER);
  assert.ok(failed > 0, 'requests were still in flight when the server was killed');

  const second = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const rows = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = `/admin/issuances?client=${client.client_id}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const listed = await admin(second.adminUrl!, page);
    assert.equal(listed.status, 200, await listed.clone().text());
    const body = (await listed.json()) as { issuances: { jti: string }[]; next: string | null };
    for (const issuance of body.issuances) rows.add(issuance.jti);
    cursor = body.next;
  } while (cursor);
  const lost = received.filter((jti) => !rows.has(jti));
  assert.deepEqual(lost, [], `${lost.length} of ${received.length} answered tokens have no issuance row`);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});
