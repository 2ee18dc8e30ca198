/**
 * The catalog at scale: unknown Protected Resource Metadata paths (they need no credentials) cost the database at
 * most one shared refresh per gap and nothing while remembered, and discovery stays the same size however many
 * resources there are. Rows are bulk-inserted as the server writes them, as another writer (replica) would.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { test, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import { MISS_REFRESH_GAP_MS, NEGATIVE_TTL_MS } from '../../../plugins/resources/catalog.js';
import type { TestClock } from '../../helpers/clock.js';
import { requirePostgres } from '../../helpers/postgres.js';
import type { TestServer } from '../../helpers/server.js';
import { waitFor } from '../../helpers/wait.js';
import { json, mcpResource, startResourceServer } from './setup.js';

const PRM = '/.well-known/oauth-protected-resource';
const RESOURCES = 1000;
const SCOPES = 5;

/**
 * A fresh connection per request, at most 100 open: hundreds of concurrent requests on kept-alive sockets would race
 * the server closing idle ones (a reused socket closed under the request fails it).
 */
const agent = new Agent({ keepAlive: false, maxSockets: 100 });
function get(url: string): Promise<{ status: number; json: () => Promise<Record<string, unknown>>; text: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, text: async () => text, json: async () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 60 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Rows shaped like the ones operations.ts writes, inserted straight into the table. */
async function insertResources(db: Knex, from: number, count: number): Promise<void> {
  const now = Date.now();
  const policy = JSON.stringify({ exchange: { allowed_client_ids: [] }, runtime: { client_ids: [] }, connect: { allowed_return_urls: [] } });
  const rows = Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      id: randomUUID(),
      slug: `bulk-${i}`,
      display_name: `Bulk ${i}`,
      uri: `https://r${i}.example.com/mcp/${i}`,
      uri_key: `https://r${i}.example.com/mcp/${i}`,
      backend_kind: 'mint',
      broker_provider_id: null,
      scopes: JSON.stringify(Array.from({ length: SCOPES }, (_, s) => ({ name: `bulk-${i}:scope-${s}` }))),
      policy,
      created_at: now,
      updated_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += 100) await db('resources').insert(rows.slice(i, i + 100));
}

/** Counts the catalog's refreshes by the statement each one starts with (the rows changed since the watermark). */
function countRefreshes(t: TestContext, db: Knex): { readonly count: number } {
  const counter = { count: 0 };
  const onQuery = (query: { sql: string }) => {
    if (/from [`"]resources[`"] where [`"]updated_at[`"] >=/i.test(query.sql)) counter.count++;
  };
  db.on('query', onQuery);
  t.after(() => db.off('query', onQuery));
  return counter;
}

/**
 * A clock that moves only when told: the negative cache's lifetime then never runs out during a slow burst on a
 * loaded machine. The refresh gap, measured on it, is then waited in full each time, so refreshes stay at least the
 * gap apart in real time too.
 */
function stoppedClock(): TestClock {
  let now = Date.now();
  return {
    now: () => now,
    advance(ms) {
      now += ms;
    },
  };
}

/** 500 distinct unknown paths at once, with /health asked alongside; returns how long the burst took (real ms). */
async function missBurst(server: TestServer, round: string): Promise<number> {
  const started = Date.now();
  const misses = Array.from({ length: 500 }, (_, i) => get(`${server.url}${PRM}/unknown-${round}-${i}/x`));
  const health = Array.from({ length: 10 }, () => get(`${server.url}/health`));
  const [missed, healthy] = await Promise.all([Promise.all(misses), Promise.all(health)]);
  for (const response of missed) {
    assert.equal(response.status, 404);
    assert.equal(typeof (await response.json()).error, 'string');
  }
  for (const response of healthy) assert.equal(response.status, 200, '/health answers during the burst');
  return Date.now() - started;
}

async function scaleScenario(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<void> {
  const clock = stoppedClock();
  const server = await startResourceServer(t, { storage, now: clock.now, resources: { refreshInterval: 3600 } });
  const db = server.server.db;
  await insertResources(db, 0, RESOURCES);

  // Rows written after boot by another writer: the first lookup of one misses, refreshes and finds it.
  const first = await get(`${server.url}${PRM}/mcp/7`);
  assert.equal(first.status, 200);
  assert.equal((await first.json()).resource, 'https://r7.example.com/mcp/7');
  assert.equal((await get(`${server.url}${PRM}/bulk-999`)).status, 200, 'by slug');

  const discovery = await get(`${server.url}/.well-known/oauth-authorization-server`);
  const text = await discovery.text();
  assert.deepEqual(JSON.parse(text).scopes_supported, ['offline_access'], `${RESOURCES} × ${SCOPES} scopes are not listed`);
  assert.ok(Buffer.byteLength(text) < 4096, `discovery stays small: ${Buffer.byteLength(text)} bytes`);

  const refreshes = countRefreshes(t, db);
  clock.advance(MISS_REFRESH_GAP_MS);
  let elapsed = await missBurst(server, 'a');
  // Each refresh starts at least the gap after the previous one, whatever the number of misses.
  const allowed = (ms: number) => 1 + Math.floor(ms / MISS_REFRESH_GAP_MS);
  assert.ok(refreshes.count >= 1, 'the misses refreshed the catalog');
  assert.ok(refreshes.count <= allowed(elapsed), `${refreshes.count} refreshes for 500 misses in ${elapsed} ms`);

  // The same paths again, within the negative cache's lifetime: answered from memory, no query at all.
  const before = refreshes.count;
  const queries: string[] = [];
  const onQuery = (query: { sql: string }) => queries.push(query.sql);
  db.on('query', onQuery);
  const remembered = Array.from({ length: 500 }, (_, i) => get(`${server.url}${PRM}/unknown-a-${i}/x`));
  for (const response of await Promise.all(remembered)) assert.equal(response.status, 404);
  db.off('query', onQuery);
  assert.deepEqual(queries.filter((sql) => /resources/.test(sql)), [], 'remembered misses touch no table');
  assert.equal(refreshes.count, before);

  // Once remembered misses expire they refresh again, still bounded.
  clock.advance(NEGATIVE_TTL_MS);
  elapsed = await missBurst(server, 'a');
  assert.ok(refreshes.count - before >= 1);
  assert.ok(refreshes.count - before <= allowed(elapsed), `${refreshes.count - before} refreshes for 500 expired misses in ${elapsed} ms`);

  // A resource another writer adds at a path that missed a moment ago is served once the miss is forgotten.
  assert.equal((await get(`${server.url}${PRM}/mcp/${RESOURCES}`)).status, 404);
  await insertResources(db, RESOURCES, 1);
  assert.equal((await get(`${server.url}${PRM}/mcp/${RESOURCES}`)).status, 404, 'still remembered as unknown');
  clock.advance(NEGATIVE_TTL_MS);
  assert.equal((await get(`${server.url}${PRM}/mcp/${RESOURCES}`)).status, 200);

  // One created through this server's admin API is served at once, though that path just missed.
  assert.equal((await get(`${server.url}${PRM}/mcp`)).status, 404);
  assert.equal((await server.admin('/admin/resources', json(mcpResource()))).status, 201);
  assert.equal((await get(`${server.url}${PRM}/mcp`)).status, 200);

  // A row another writer deleted is dropped by the next refresh (a miss triggers one here).
  await db('resources').where({ slug: 'bulk-7' }).delete();
  clock.advance(MISS_REFRESH_GAP_MS);
  assert.equal((await get(`${server.url}${PRM}/no-such-path`)).status, 404);
  assert.equal((await get(`${server.url}${PRM}/mcp/7`)).status, 404, 'a deleted resource is no longer served');
  assert.equal((await get(`${server.url}${PRM}/bulk-7`)).status, 404);
  assert.equal((await get(`${server.url}${PRM}/mcp/8`)).status, 200);
}

test(`random PRM misses over ${RESOURCES} resources cost at most one refresh per gap and none while remembered (SQLite)`, async (t) => {
  await scaleScenario(t, 'sqlite');
});

test(`random PRM misses over ${RESOURCES} resources cost at most one refresh per gap and none while remembered (PostgreSQL)`, async (t) => {
  if (!(await requirePostgres(t))) return;
  await scaleScenario(t, 'postgres');
});

test('discovery lists the resources\' scopes up to discoveryScopeLimit, then only offline_access', async (t) => {
  const { admin, url } = await startResourceServer(t, { resources: { discoveryScopeLimit: 4 } });
  const scopes = async () => (await (await get(`${url}/.well-known/oauth-authorization-server`)).json()).scopes_supported;
  await admin('/admin/resources', json(mcpResource()));
  await admin('/admin/resources', json(mcpResource({ slug: 'mail', uri: 'https://mail.example.com/mcp', scopes: [{ name: 'mail:read' }, { name: 'offline_access' }] })));
  assert.deepEqual(await scopes(), ['files:read', 'files:write', 'mail:read', 'offline_access']);
  await admin('/admin/resources', json(mcpResource({ slug: 'two', uri: 'https://two.example.com/mcp', scopes: [{ name: 'a' }, { name: 'b' }] })));
  assert.deepEqual(await scopes(), ['offline_access'], 'five resource scopes are over the limit of four');
  // Each resource's scopes are still in its own metadata.
  assert.deepEqual((await (await get(`${url}${PRM}/two`)).json()).scopes_supported, ['a', 'b']);
  await admin('/admin/resources/two', { method: 'DELETE' });
  assert.deepEqual(await scopes(), ['files:read', 'files:write', 'mail:read', 'offline_access']);
});

test('replicas on PostgreSQL: a resource created on one is served by the other, and stops being served once deleted there', async (t) => {
  if (!(await requirePostgres(t))) return;
  // An hour between timed refreshes: only a lookup miss or the announcement can bring the change.
  const first = await startResourceServer(t, { storage: 'postgres', resources: { refreshInterval: 3600 } });
  const second = await startResourceServer(t, { storage: 'postgres', postgresDsn: first.postgresDsn, resources: { refreshInterval: 3600 } });
  assert.equal((await get(`${second.url}${PRM}/mcp`)).status, 404);
  assert.equal((await first.admin('/admin/resources', json(mcpResource()))).status, 201);
  // The second remembers its miss for a few seconds; the announcement clears it.
  await waitFor('the second replica to serve the created resource', async () => (await get(`${second.url}${PRM}/mcp`)).status === 200);
  await waitFor('the second replica to list its scopes in discovery', async () =>
    ((await (await get(`${second.url}/.well-known/oauth-authorization-server`)).json()).scopes_supported as string[]).includes('files:read'),
  );
  assert.equal((await first.admin('/admin/resources/files', { method: 'DELETE' })).status, 204);
  await waitFor('the second replica to stop serving the deleted resource', async () => (await get(`${second.url}${PRM}/mcp`)).status === 404);
  assert.equal((await second.admin('/admin/probe/resources/resolve?q=files')).status, 404);
});
