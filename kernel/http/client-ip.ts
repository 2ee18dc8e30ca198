import { isIP } from 'node:net';

function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/**
 * The client's address. `X-Forwarded-For` is believed only when the connection comes from a configured proxy, and
 * then only up to the first hop that is not itself a trusted proxy (the rightmost untrusted address).
 */
export function createClientIpResolver(trustedProxies: readonly string[]) {
  const trusted = new Set(trustedProxies.map(normalize));
  const trustLoopback = trusted.has('loopback');
  const isTrusted = (address: string) => trusted.has(address) || (trustLoopback && isLoopback(address));
  return (remoteAddress: string | undefined, forwardedFor: string | undefined): string => {
    const peer = normalize(remoteAddress ?? '');
    if (!forwardedFor || !isTrusted(peer)) return peer;
    const hops = forwardedFor
      .split(',')
      .map((h) => normalize(h.trim()))
      .filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!isTrusted(hops[i]!)) return isIP(hops[i]!) ? hops[i]! : peer;
    }
    return hops[0] ?? peer;
  };
}

/** The eight 16-bit groups of an IPv6 address (an embedded dotted IPv4 tail counts as the last two). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The identity a client is counted under by per-client limits (the rate limit, the login lockout). IPv6 hosts
 * usually hold a whole /64, so one host could rotate through 2^64 addresses: IPv6 addresses are counted per /64
 * prefix (`2001:db8:0:1::/64`, whichever way the address was written), IPv4 per address.
 */
export function clientKey(ip: string): string {
  if (isIP(ip.split('%')[0]!) !== 6) return ip;
  return `${ipv6Groups(ip)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
