/**
 * SSRF guard for requests the server makes on someone else's say (a client's metadata document URL, an upstream
 * provider's token endpoint): the host's addresses are resolved once, every one of them is checked, and the socket
 * connects to the address that was checked — a custom `lookup` for node:http, so a DNS answer that changes between
 * the check and the connect (rebinding) cannot slip a private address in.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { ipv6Words, lowIpv4 } from './ipv6.js';

/** Address ranges an outbound request never connects to (unless the caller allows private addresses). */
const BLOCKED_V4: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'this network (RFC 791)'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0', 8, 'loopback (RFC 1122)'],
  ['169.254.0.0', 16, 'link-local, cloud metadata (RFC 3927)'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0', 24, 'documentation (RFC 5737)'],
  ['192.88.99.0', 24, '6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking (RFC 2544)'],
  ['198.51.100.0', 24, 'documentation (RFC 5737)'],
  ['203.0.113.0', 24, 'documentation (RFC 5737)'],
  ['224.0.0.0', 4, 'multicast (RFC 5771)'],
  ['240.0.0.0', 4, 'reserved, broadcast (RFC 1112)'],
];
const BLOCKED_V6: readonly [string, number, string][] = [
  ['::', 96, 'unspecified, loopback, IPv4-compatible (RFC 4291)'],
  ['::ffff:0:0:0', 96, 'IPv4-translated (RFC 2765)'],
  ['64:ff9b:1::', 48, 'local-use NAT64 (RFC 8215)'],
  ['100::', 64, 'discard-only (RFC 6666)'],
  ['2001::', 23, 'IETF protocol assignments, Teredo (RFC 2928)'],
  ['2001:db8::', 32, 'documentation (RFC 3849)'],
  ['2002::', 16, '6to4 (RFC 3056)'],
  ['fc00::', 7, 'unique local (RFC 4193)'],
  ['fe80::', 10, 'link-local (RFC 4291)'],
  ['fec0::', 10, 'site-local (RFC 3879)'],
  ['ff00::', 8, 'multicast (RFC 4291)'],
];

interface Lists {
  blocked: BlockList;
  /** RFC 4291 §2.4: global unicast is 2000::/3; IANA has assigned nothing public outside it. */
  globalUnicastV6: BlockList;
}
let lists: Lists | undefined;
/** Built on first use, not at import: the kernel's bundle loads this module whether or not a plugin fetches anything. */
function blockLists(): Lists {
  if (lists) return lists;
  const blocked = new BlockList();
  for (const [network, prefix] of BLOCKED_V4) blocked.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of BLOCKED_V6) blocked.addSubnet(network, prefix, 'ipv6');
  const globalUnicastV6 = new BlockList();
  globalUnicastV6.addSubnet('2000::', 3, 'ipv6');
  return (lists = { blocked, globalUnicastV6 });
}

/**
 * The IPv4 address an IPv6 address stands for, where the network turns it into that IPv4 address: IPv4-mapped
 * (::ffff:0:0/96, RFC 4291) and NAT64 (64:ff9b::/96, RFC 6052), in any spelling (`::ffff:7f00:1`,
 * `64:ff9b:0:0:0:0:a00:1`, a dotted tail). Other embeddings are refused as whole ranges (BLOCKED_V6).
 */
function embeddedIpv4(words: readonly number[]): string | undefined {
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const mapped = zeros(0, 5) && words[5] === 0xffff;
  const nat64 = words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6);
  return mapped || nat64 ? lowIpv4(words) : undefined;
}

/** Why an IP address is not a public unicast address, or undefined when it is. */
export function blockedAddressReason(address: string): string | undefined {
  // A zone id (fe80::1%eth0) only ever comes with a link-local address; the address decides.
  const bare = address.split('%')[0]!;
  const family = isIP(bare);
  if (family === 0) return 'is not an IP address';
  if (family === 6) {
    const v4 = embeddedIpv4(ipv6Words(bare)!);
    if (v4) {
      const reason = blockedAddressReason(v4);
      return reason ? `embeds ${v4}, which ${reason}` : undefined;
    }
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const { blocked, globalUnicastV6 } = blockLists();
  if (!blocked.check(bare, type)) {
    return family === 6 && !globalUnicastV6.check(bare, 'ipv6') ? 'is outside global unicast 2000::/3 (RFC 4291)' : undefined;
  }
  const ranges = family === 4 ? BLOCKED_V4 : BLOCKED_V6;
  const range = ranges.find(([network, prefix]) => {
    const one = new BlockList();
    one.addSubnet(network, prefix, type);
    return one.check(bare, type);
  });
  return range ? `is in a ${range[2]} range` : 'is not a public address';
}

/** A destination the guard refused (a `lookup` error, so node:http reports it as the request's error). */
export class BlockedAddressError extends Error {
  readonly code = 'BLOCKED_ADDRESS';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http that refuses a host when any of its addresses is blocked. Refusing on any (not only
 * skipping the bad ones) keeps the answer the same whichever address the resolver happens to list first.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, verbatim: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (!allowPrivate) {
        for (const { address } of addresses) {
          const reason = blockedAddressReason(address);
          if (reason) return callback(new BlockedAddressError(`${hostname} resolves to ${address}, which ${reason}`), []);
        }
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** An IP literal host is connected to without a lookup, so it is checked here instead. */
export function literalHostProblem(hostname: string, allowPrivate: boolean): string | undefined {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (allowPrivate || isIP(bare) === 0) return undefined;
  const reason = blockedAddressReason(bare);
  return reason ? `${bare} ${reason}` : undefined;
}
