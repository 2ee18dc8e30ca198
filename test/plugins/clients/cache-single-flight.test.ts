/**
 * ClientCache (plugins/clients/cache.ts) under concurrent misses: requests that miss together share one read of the
 * client, and a read that was in flight when the cache was invalidated serves nobody who came after. Its entries age
 * by the clock it is given, here one that moves only when the test says so.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from 'authplane';
import { ClientCache } from '../../../plugins/clients/cache.js';

const client = (status: string) => ({ client_id: 'c1', status, grant_types: ['client_credentials'] }) as unknown as Client;

/** A loader whose reads finish only when the test says so, counting them. */
function gatedLoader() {
  const pending: ((c: Client | undefined) => void)[] = [];
  return {
    reads: () => pending.length,
    finish: (c: Client | undefined) => pending.splice(0).forEach((resolve) => resolve(c)),
    load: () => new Promise<Client | undefined>((resolve) => pending.push(resolve)),
  };
}

test('fifty concurrent misses for one client read it once, and all get the same frozen client', async () => {
  const cache = new ClientCache(5_000);
  const loader = gatedLoader();
  const answers = Array.from({ length: 50 }, () => cache.get('c1', loader.load));
  assert.equal(loader.reads(), 1);
  loader.finish(client('active'));
  const clients = await Promise.all(answers);
  assert.ok(clients.every((c) => c === clients[0]));
  assert.ok(Object.isFrozen(clients[0]));
  // Cached now: no read at all.
  assert.equal(await cache.get('c1', loader.load), clients[0]);
  assert.equal(loader.reads(), 0);
});

test('after an invalidation a request does not join the read that started before it', async () => {
  const cache = new ClientCache(5_000);
  const before = gatedLoader();
  const early = cache.get('c1', before.load);
  cache.invalidate('c1');
  const after = gatedLoader();
  const late = cache.get('c1', after.load);
  assert.equal(after.reads(), 1, 'the request after the invalidation reads the client itself');
  before.finish(client('active'));
  after.finish(client('suspended'));
  assert.equal((await early)?.status, 'active');
  assert.equal((await late)?.status, 'suspended');
  // The read from before the invalidation was not cached; the later one was.
  assert.equal((await cache.get('c1', gatedLoader().load))?.status, 'suspended');
});

test('a failed read fails every request that shared it and is not remembered', async () => {
  const cache = new ClientCache(5_000);
  let reads = 0;
  const failing = async () => {
    reads++;
    await new Promise((r) => setImmediate(r));
    throw new Error('database unavailable');
  };
  const results = await Promise.allSettled([cache.get('c1', failing), cache.get('c1', failing)]);
  assert.equal(reads, 1);
  assert.ok(results.every((r) => r.status === 'rejected'));
  const loader = gatedLoader();
  const next = cache.get('c1', loader.load);
  assert.equal(loader.reads(), 1, 'the next request reads again');
  loader.finish(client('active'));
  assert.equal((await next)?.status, 'active');
});

test('an unknown client id is shared while in flight but never cached', async () => {
  const cache = new ClientCache(5_000);
  const loader = gatedLoader();
  const answers = [cache.get('nobody', loader.load), cache.get('nobody', loader.load)];
  assert.equal(loader.reads(), 1);
  loader.finish(undefined);
  assert.deepEqual(await Promise.all(answers), [undefined, undefined]);
  const again = gatedLoader();
  const next = cache.get('nobody', again.load);
  assert.equal(again.reads(), 1, 'created elsewhere in the meantime? the next request looks again');
  again.finish(undefined);
  await next;
});

test('an entry is served until it is ttl old by the clock it was given, then read again', async () => {
  let now = Date.now();
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const cache = new ClientCache(5_000, clock.now);
  const first = gatedLoader();
  const loaded = cache.get('c1', first.load);
  first.finish(client('active'));
  assert.equal((await loaded)?.status, 'active');

  clock.advance(4_999);
  const fresh = gatedLoader();
  assert.equal((await cache.get('c1', fresh.load))?.status, 'active');
  assert.equal(fresh.reads(), 0, 'younger than the ttl: no read');

  clock.advance(1);
  const stale = gatedLoader();
  const reread = cache.get('c1', stale.load);
  assert.equal(stale.reads(), 1, 'as old as the ttl: read again');
  stale.finish(client('suspended'));
  assert.equal((await reread)?.status, 'suspended');
});
