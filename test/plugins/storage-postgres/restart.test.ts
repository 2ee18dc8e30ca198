/**
 * PostgreSQL restarted under load, on a private cluster the test starts itself: `/ready` says 503 while the database
 * is away and 200 again once it is back, the server recovers without a restart (pool and replica listener
 * reconnect), and no request hangs — each gets an answer well within the client's timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientCredentials, clients, resources } from 'authplane/plugins';
import { startPrivateCluster } from '../../helpers/private-postgres.js';
import { startServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { requestMachineToken } from '../client-credentials/setup.js';

/** A client gives up after this long; the server must answer every request before (its pool waits at most 10 s). */
const CLIENT_TIMEOUT_MS = 30_000;

test('a PostgreSQL restart under load: /ready 503 then 200, tokens again without restarting the server, no request hanging', async (t) => {
  const cluster = await startPrivateCluster(t);
  if (!cluster) return;
  const server = await startServer(t, {
    storage: 'postgres',
    postgresDsn: cluster.dsn,
    plugins: [clients(), resources(), clientCredentials()],
  });
  const created = await server.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({ client_name: 'Load', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' }),
  });
  assert.equal(created.status, 201);
  const client = await created.json();
  assert.equal((await requestMachineToken(server.url, client)).status, 200);

  const outcomes: { status: number | 'no answer'; ms: number; error?: string }[] = [];
  let stopLoad = false;
  const worker = async () => {
    while (!stopLoad) {
      const started = Date.now();
      try {
        const response = await fetch(`${server.url}/oauth/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
          },
          body: 'grant_type=client_credentials',
          signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
        });
        const body = await response.json();
        outcomes.push({ status: response.status, ms: Date.now() - started, error: body.error });
      } catch (err) {
        outcomes.push({ status: 'no answer', ms: Date.now() - started, error: (err as Error).name });
      }
      // Keeps the load steady without spinning on instant refusals while the database is down.
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const load = Promise.all(Array.from({ length: 4 }, worker));
  const ready = async () => (await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) })).status;

  await waitFor('some tokens under load before the restart', () => outcomes.filter((o) => o.status === 200).length >= 20);
  await cluster.stop();
  await waitFor('/ready to say 503 while PostgreSQL is stopped', async () => (await ready()) === 503);
  const duringOutage = outcomes.length;
  await waitFor('requests to be answered while PostgreSQL is stopped', () => outcomes.length >= duringOutage + 10);
  await cluster.start();
  await waitFor('/ready to say 200 once PostgreSQL is back', async () => (await ready()) === 200, { lastSeen: () => cluster.log().slice(-2000) });
  const afterRestart = outcomes.length;
  await waitFor('tokens again after the restart', () => outcomes.slice(afterRestart).filter((o) => o.status === 200).length >= 20, {
    lastSeen: () => outcomes.slice(-5),
  });
  stopLoad = true;
  await load;

  const hung = outcomes.filter((o) => o.status === 'no answer');
  assert.deepEqual(hung, [], 'every request got an answer before the client gave up');
  const failures = outcomes.filter((o) => o.status !== 200);
  assert.ok(failures.length > 0, 'the outage was felt by requests');
  for (const failure of failures) {
    assert.deepEqual([failure.status, failure.error], [503, 'temporarily_unavailable'], `an outage is "try again", not a server error: ${JSON.stringify(failure)}`);
  }
  await waitFor('the replica listener to reconnect', () => server.logs.filter((l) => l.msg === 'replica listener connected').length >= 2);
});
