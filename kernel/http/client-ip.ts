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
