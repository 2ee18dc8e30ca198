/**
 * Two `authserver serve` processes on one PostgreSQL database, as replicas behind a load balancer. One is killed
 * with SIGKILL under load: the other keeps answering, clients that lost their connection move to it (as a load
 * balancer would send them), and every token whose response reached a client — from either replica — has its
 * issuance row, and verifies on the survivor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { repoTempDir, writeConfigFile } from '../../helpers/config-files.js';
import { freshPostgresDatabase, requirePostgres } from '../../helpers/postgres.js';
import { freshKek } from '../../helpers/replicas.js';
import { ADMIN_KEY, spawnServe } from '../../helpers/server.js';
import { decodeJwt, introspect, requestMachineToken } from '../client-credentials/setup.js';

const WORKERS_EACH = 8;
/** Tokens answered by A before it is killed: the kill lands under steady load. */
const KILL_AFTER = 200;
/** Tokens the survivor must answer after the kill. */
const AFTER_KILL = 200;

test('kill -9 of one replica under load: the other keeps serving and no answered token lacks its issuance row', async (t) => {
  if (!(await requirePostgres(t))) return;
  const dsn = await freshPostgresDatabase(t);
  const dir = repoTempDir(t, 'replica-crash-');
  const config = writeConfigFile(dir, {
    settings: { signing: { keyStore: 'postgres' } },
    imports: ["import { clientCredentials, clients, introspection, issuances, keystorePostgres, resources } from 'authplane/plugins';"],
    plugins: ['keystorePostgres()', 'clients()', 'resources()', 'clientCredentials()', 'introspection()', 'issuances()'],
  });
  const env = {
    AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY,
    AUTHPLANE_STORAGE_DRIVER: 'postgres',
    AUTHPLANE_STORAGE_POSTGRES_DSN: dsn,
    AUTHPLANE_KEYSTORE_POSTGRES_KEK: freshKek(),
    AUTHPLANE_LOG_LEVEL: 'info',
  };
  const a = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const b = await spawnServe(t, { cwd: dir, args: ['--config', config], env });
  const created = await fetch(`${a.adminUrl}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'Load', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic', scope: 'jobs' }),
  });
  assert.equal(created.status, 201);
  const client = await created.json();

  const answered = { a: [] as string[], b: [] as string[] };
  let killed = false;
  let failedOnA = 0;
  let answeredAfterKill = 0;
  const take = async (url: string, into: string[]) => {
    const response = await requestMachineToken(url, client);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    into.push(decodeJwt(body.access_token).claims.jti as string);
    return body.access_token as string;
  };
  let lastOfA = '';
  // A's clients: until their connection fails, then to B, as a load balancer takes a dead backend out.
  const workerOfA = async () => {
    for (;;) {
      try {
        lastOfA = await take(a.url, answered.a);
        if (answered.a.length >= KILL_AFTER && !killed) {
          killed = true;
          a.child.kill('SIGKILL');
        }
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        failedOnA++;
        break;
      }
    }
    while (answeredAfterKill < AFTER_KILL) {
      await take(b.url, answered.b);
      answeredAfterKill++;
    }
  };
  // B's own clients never see an error, before or after A dies.
  const workerOfB = async () => {
    while (!killed || answeredAfterKill < AFTER_KILL) await take(b.url, answered.b);
  };
  await Promise.all([...Array.from({ length: WORKERS_EACH }, workerOfA), ...Array.from({ length: WORKERS_EACH }, workerOfB)]);
  assert.equal(await a.exited, null, 'A died from the signal');
  assert.ok(failedOnA > 0, 'requests to A were in flight when it was killed');

  const db = new pg.Client({ connectionString: dsn });
  await db.connect();
  const { rows } = await db.query<{ jti: string }>('select jti from token_issuances').finally(() => db.end());
  const stored = new Set(rows.map((r) => r.jti));
  const lost = [...answered.a, ...answered.b].filter((jti) => !stored.has(jti));
  assert.deepEqual(lost, [], `${lost.length} of ${answered.a.length + answered.b.length} answered tokens have no issuance row`);

  // A token A signed just before it died still verifies on B: the keys were shared, not A's own.
  assert.equal((await introspect(b.url, client, lastOfA)).active, true);
  b.child.kill('SIGTERM');
  assert.equal(await b.exited, 0);
});
