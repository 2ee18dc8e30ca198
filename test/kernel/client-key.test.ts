import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientKey } from 'authplane';

test('an IPv4 address is its own client key', () => {
  assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
});

test('every spelling of an IPv6 address in one /64 gives the same client key', () => {
  const key = '2001:db8:0:7::/64';
  for (const address of [
    '2001:db8:0:7::1',
    '2001:0DB8:0000:0007:ffff:ffff:ffff:ffff',
    '2001:db8::7:0:0:0:1',
    '2001:db8:0:7::203.0.113.7',
    '2001:db8:0:7:1:2:203.0.113.7',
    '2001:db8:0:7::1%eth0',
  ]) {
    assert.equal(clientKey(address), key, address);
  }
  assert.equal(clientKey('2001:db8:0:8::1'), '2001:db8:0:8::/64');
  assert.equal(clientKey('1::2:3:4:5:203.0.113.7'), '1:0:2:3::/64', 'a dotted tail counts as two groups');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
});
