import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NegativeCache } from '../../../plugins/resources/negative-cache.js';
import { testClock } from '../../helpers/clock.js';

test('the negative cache forgets an entry after its lifetime and never holds more than its bound', () => {
  const clock = testClock();
  const cache = new NegativeCache(3, 5_000, clock.now);
  for (const key of ['a', 'b', 'c', 'd']) cache.add(key);
  assert.equal(cache.size, 3);
  assert.equal(cache.has('a'), false, 'the oldest went to make room');
  assert.equal(cache.has('d'), true);

  clock.advance(4_000);
  cache.add('b'); // re-added: lives 5 s from now, and is now the newest
  clock.advance(1_000);
  assert.equal(cache.has('c'), false, 'expired after 5 s');
  assert.equal(cache.has('b'), true);
  cache.add('e');
  cache.add('f');
  assert.equal(cache.size, 3);
  assert.equal(cache.has('b'), true, 'refreshed entries are not the first to go');

  cache.clear();
  assert.equal(cache.has('b'), false);
  assert.equal(cache.size, 0);
});
