/** The SSRF guard's judgement of single addresses, IPv6 embeddings of IPv4 above all. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockedAddressReason } from '../../../kernel/net/address-guard.js';

test('IPv6 addresses that embed a non-public IPv4 address are refused in every spelling', () => {
  const refused = [
    // IPv4-mapped (RFC 4291), with a dotted or a hex tail, compressed or not.
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '0:0:0:0:0:ffff:7f00:1',
    '::ffff:169.254.169.254',
    // IPv4-translated (RFC 2765): refused whatever it embeds.
    '::ffff:0:7f00:1',
    '::ffff:0:127.0.0.1',
    '::ffff:0:808:808',
    // NAT64 well-known prefix (RFC 6052) with a private IPv4 address.
    '64:ff9b::10.0.0.1',
    '64:ff9b::a00:1',
    '64:ff9b:0:0:0:0:a00:1',
    '64:ff9b:0000::c0a8:0101',
    // Local-use NAT64, 6to4, Teredo, IPv4-compatible.
    '64:ff9b:1::808:808',
    '2002:7f00:1::1',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '::127.0.0.1',
    '::7f00:1',
    // Anything else outside global unicast 2000::/3.
    '::ffff:0:0:7f00:1',
    '1::1',
    'fe80::1%eth0',
  ];
  for (const address of refused) assert.ok(blockedAddressReason(address), `${address} must be refused`);
});

test('public addresses pass, including a NAT64 or IPv4-mapped spelling of a public IPv4 address', () => {
  for (const address of ['8.8.8.8', '2606:4700:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
    assert.equal(blockedAddressReason(address), undefined, address);
  }
});

test('the reason names the embedded address and its range', () => {
  assert.equal(blockedAddressReason('64:ff9b::a00:1'), 'embeds 10.0.0.1, which is in a private (RFC 1918) range');
  assert.match(blockedAddressReason('::ffff:0:7f00:1')!, /IPv4-translated \(RFC 2765\)/);
});
