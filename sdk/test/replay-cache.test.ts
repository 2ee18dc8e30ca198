import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryReplayCache } from '@authplane/sdk';

test('the replay cache refuses a key until it expires and stays within its size bound', () => {
  let now = 1_000_000;
  const cache = new MemoryReplayCache({ now: () => now, maxEntries: 100 });
  assert.equal(cache.remember('a', now + 60_000), true);
  assert.equal(cache.remember('a', now + 60_000), false, 'a replay within the window');
  now += 60_001;
  assert.equal(cache.remember('a', now + 60_000), true, 'the window is over: the jti may not be refused forever');
  for (let i = 0; i < 500; i++) cache.remember(`k${i}`, now + 60_000);
  assert.ok(cache.size <= 101, `size ${cache.size}`);
});
