/**
 * authplane/testing as a plugin's tests use it: a server on free ports with a temp database that cleans up after
 * itself, with or without node:test, and the admin helpers that create what a plugin needs first.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { definePlugin } from 'authplane';
import { clientCredentials, clients, resources, users } from 'authplane/plugins';
import { createClient, createResource, createUser, PG_ADMIN_DSN, startServer, type Cleanup } from 'authplane/testing';
import { requirePostgres } from '../helpers/postgres.js';

/** A cleanup that collects the steps, so the test can run them and look at what is left. */
function collector(): Cleanup & { run(): Promise<void> } {
  const steps: (() => unknown)[] = [];
  return {
    after: (fn) => void steps.push(fn),
    run: async () => {
      for (const step of steps) await step();
    },
  };
}

test('a server started without a test context runs on loopback ports until stop(), which removes its temp folder', async () => {
  const srv = await startServer();
  try {
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${srv.url}/health`)).status, 200);
    assert.equal((await srv.admin('/admin/system/status')).status, 200, 'the admin helper sends the admin key');
    assert.ok(existsSync(srv.dir));
  } finally {
    await srv.stop();
  }
  assert.equal(existsSync(srv.dir), false);
  await assert.rejects(fetch(`${srv.url}/health`), 'the listener is closed');
  await srv.stop(); // a second stop is harmless
});

test('a server started with a cleanup (node:test\'s t or anything with after) is stopped by it', async () => {
  const cleanup = collector();
  const srv = await startServer(cleanup, {});
  assert.equal((await fetch(`${srv.url}/health`)).status, 200);
  await cleanup.run();
  assert.equal(existsSync(srv.dir), false);
  await assert.rejects(fetch(`${srv.url}/health`));
});

test('a server whose plugin fails to boot is cleaned up before the error reaches the test', async () => {
  let folder: string | undefined;
  const failing = definePlugin({
    name: 'failing-plugin',
    register(api) {
      folder = dirname(api.config.storage.sqlite.path);
      throw new Error('this plugin refuses to register');
    },
  });
  await assert.rejects(startServer({ plugins: [failing()] }), /this plugin refuses to register/);
  assert.ok(folder);
  assert.equal(existsSync(folder), false, 'the temp folder is gone');
});

test('the admin helpers create a resource, a client and a user through the admin API, and a refusal says why', async (t) => {
  const srv = await startServer(t, { plugins: [clients(), resources(), users(), clientCredentials()] });
  const resource = await createResource(srv, { slug: 'notes', uri: 'https://notes.example.com/mcp', scopes: [{ name: 'notes/read', description: 'Read notes' }] });
  assert.equal(resource.display_name, 'notes');
  const client = await createClient(srv, { grant_types: ['client_credentials'], scope: 'notes/read' });
  assert.ok(client.client_secret, 'a confidential client gets its secret');
  const user = await createUser(srv, { email: 'ada@example.com', password: 'correct horse battery staple' });
  assert.equal((await srv.admin(`/admin/users/${user.id}`)).status, 200);

  const token = await fetch(`${srv.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: resource.uri }),
  });
  assert.equal(token.status, 200, await token.clone().text());

  await assert.rejects(createClient(srv, { grant_types: ['client_credentials'], scope: 'notes/read', client_name: 7 }), /POST \/admin\/clients answered 400: .*client_name/);
});

test('with storage postgres the server gets a fresh database, dropped when it stops', async (t) => {
  if (!(await requirePostgres(t))) return;
  const srv = await startServer({ storage: 'postgres' });
  const name = new URL(srv.postgresDsn!).pathname.slice(1);
  const exists = async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_DSN });
    await client.connect();
    try {
      return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
    } finally {
      await client.end();
    }
  };
  try {
    assert.equal((await fetch(`${srv.url}/health`)).status, 200);
    assert.equal(await exists(), true);
  } finally {
    await srv.stop();
  }
  assert.equal(await exists(), false);
});
