/**
 * How many metadata document fetches may run at once: in all, per requester and per document host. The global cap
 * alone let one requester hold every slot with a few slow documents a second (each holds a slot up to
 * `fetchTimeout`), so no new CIMD client could sign in; the per-requester and per-host caps bound what one source
 * of slow documents can take.
 */
import { isIP } from 'node:net';
import { clientKey } from 'authplane';

export interface SlotLimits {
  total: number;
  perRequester: number;
  perHost: number;
}

/** Which cap was full, for the refusal message. */
export type FullSlot = 'total' | 'requester' | 'host';

/**
 * The requester as counted: its IPv4 address, or the /64 of an IPv6 address (one subscriber is routinely given a
 * whole /64, so counting single addresses would let it take every slot).
 */
export function requesterKey(ip: string): string {
  // The kernel's per-client key, once an IPv4-mapped address is read as the IPv4 address it is.
  return clientKey(ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip);
}

export class FetchSlots {
  #total = 0;
  readonly #byRequester = new Map<string, number>();
  readonly #byHost = new Map<string, number>();

  constructor(private readonly limits: SlotLimits) {}

  /** Takes a slot for one fetch, or says which cap is full; the returned function gives it back. */
  take(requester: string, host: string): { release: () => void } | { full: FullSlot } {
    if (this.#total >= this.limits.total) return { full: 'total' };
    if ((this.#byRequester.get(requester) ?? 0) >= this.limits.perRequester) return { full: 'requester' };
    if ((this.#byHost.get(host) ?? 0) >= this.limits.perHost) return { full: 'host' };
    this.#total++;
    increment(this.#byRequester, requester, 1);
    increment(this.#byHost, host, 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        increment(this.#byRequester, requester, -1);
        increment(this.#byHost, host, -1);
      },
    };
  }
}

/** Counts that fall to zero are dropped, so the maps hold only what is in flight. */
function increment(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 0) map.delete(key);
  else map.set(key, next);
}
