/** IPv6 text to its eight 16-bit words, whatever the spelling (`::` anywhere, a trailing dotted IPv4, a zone id). */
import { isIP } from 'node:net';

export function ipv6Words(address: string): number[] | undefined {
  const bare = address.split('%')[0]!;
  if (isIP(bare) !== 6) return undefined;
  const halves = bare.toLowerCase().split('::');
  const part = (text: string | undefined): number[] => {
    if (!text) return [];
    return text.split(':').flatMap((group) => {
      if (!group.includes('.')) return [parseInt(group, 16)];
      const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const left = part(halves[0]);
  const right = part(halves[1]);
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0;
  return [...left, ...Array<number>(fill).fill(0), ...right];
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
export function lowIpv4(words: readonly number[]): string {
  const [high, low] = [words[6]!, words[7]!];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}
