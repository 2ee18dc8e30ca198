/**
 * The one JWKS cache: per URL, kept `ttl` ms, refetched once when a token names a `kid` the set lacks (a key the
 * issuer just rotated in) but not more often than `refetchInterval` ms (forged kids cost one fetch per interval).
 * Concurrent misses share one fetch. Every fetch goes through the kernel's SSRF-guarded `outboundRequest`.
 */
import type { KeyObject } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { outboundRequest, OutboundRequestError } from 'authplane';
import { KeySet, type AssertionAlgorithm } from './key-set.js';
import { AssertionRejected } from './types.js';

const MAX_DOCUMENT_BYTES = 256 * 1024;

export interface FetchLimits {
  timeoutMs: number;
  allowPrivateAddresses: boolean;
}

interface Entry {
  keys: KeySet;
  fetchedAt: number;
  /** Set while a fetch is under way, so concurrent misses wait for the same one. */
  pending?: Promise<Entry>;
}

/** GETs a JSON document; every failure is an AssertionRejected `jwks_unavailable` naming the host. */
export async function fetchJson(url: string, limits: FetchLimits): Promise<unknown> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new AssertionRejected('jwks_unavailable', `${url} is not a URL`);
  }
  try {
    const response = await outboundRequest({
      url: target,
      headers: { accept: 'application/json' },
      timeoutMs: limits.timeoutMs,
      maxResponseBytes: MAX_DOCUMENT_BYTES,
      allowPrivateAddresses: limits.allowPrivateAddresses,
    });
    if (response.status !== 200) throw new AssertionRejected('jwks_unavailable', `${target.host} answered ${response.status}`);
    return JSON.parse(response.body.toString('utf8'));
  } catch (err) {
    if (err instanceof AssertionRejected) throw err;
    const why = err instanceof OutboundRequestError ? err.message : err instanceof SyntaxError ? `${target.host} answered invalid JSON` : String(err);
    throw new AssertionRejected('jwks_unavailable', why, { cause: err });
  }
}

/** Only public keys: a set carrying a private or symmetric key is refused whole. */
export function checkJwks(value: unknown, where: string): JSONWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new AssertionRejected('jwks_unavailable', `${where} is not a JWK set`);
  for (const key of keys as Record<string, unknown>[]) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') throw new AssertionRejected('jwks_unavailable', `${where} holds a key without kty`);
    if (key.kty === 'oct' || 'd' in key) throw new AssertionRejected('jwks_unavailable', `${where} holds a private or symmetric key`);
  }
  return value as JSONWebKeySet;
}

export class JwksCache {
  readonly #entries = new Map<string, Entry>();
  readonly #lastMissFetch = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs: number,
    private readonly refetchIntervalMs: number,
    private readonly limits: FetchLimits,
    private readonly onFetch: (result: 'ok' | 'error') => void = () => {},
  ) {}

  /** The keys of the set at `url` that may verify a JWS of `alg` with header `kid`, refetching as the cache rules allow. */
  async candidates(url: string, alg: AssertionAlgorithm, kid: unknown): Promise<KeyObject[]> {
    let entry = this.#entries.get(url);
    if (!entry || this.now() - entry.fetchedAt >= this.ttlMs) entry = await this.#fetch(url);
    const keys = entry.keys.candidates(alg, kid);
    if (keys.length > 0 || this.now() - (this.#lastMissFetch.get(url) ?? -Infinity) < this.refetchIntervalMs) return keys;
    this.#lastMissFetch.set(url, this.now());
    return (await this.#fetch(url)).keys.candidates(alg, kid);
  }

  /** Drops the cached set so the next token fetches it again (the admin refresh endpoint fetches at once). */
  async refresh(url: string): Promise<number> {
    this.#entries.delete(url);
    const set = checkJwks(await fetchJson(url, this.limits), url);
    this.#entries.set(url, { keys: new KeySet(set), fetchedAt: this.now() });
    return set.keys.length;
  }

  #fetch(url: string): Promise<Entry> {
    const current = this.#entries.get(url);
    if (current?.pending) return current.pending;
    const pending = (async () => {
      try {
        const set = checkJwks(await fetchJson(url, this.limits), url);
        this.onFetch('ok');
        const entry: Entry = { keys: new KeySet(set), fetchedAt: this.now() };
        this.#entries.set(url, entry);
        return entry;
      } catch (err) {
        this.onFetch('error');
        // Keep serving the set we had (if any) rather than failing every token while the issuer is down.
        if (current) {
          this.#entries.set(url, { keys: current.keys, fetchedAt: current.fetchedAt });
          return current;
        }
        this.#entries.delete(url);
        throw err;
      }
    })();
    this.#entries.set(url, { ...(current ?? { keys: NO_KEYS, fetchedAt: -Infinity }), pending });
    return pending;
  }
}

const NO_KEYS = new KeySet({ keys: [] });
