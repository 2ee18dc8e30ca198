/**
 * The authorization server's signing keys (RFC 7517 JWKS from the metadata's `jwks_uri`), cached for a few
 * minutes. A token signed by a key we have not seen (a rotation) triggers one refetch, but never more often than
 * a floor: otherwise anyone could make us hammer the JWKS by sending tokens with made-up `kid`s.
 */
import { importJWK, type JWK } from 'jose';
import { CachedValue, fetchJson, type FetchLike } from './discovery.js';
import { AuthorizationServerError, TokenError } from './errors.js';

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/** RFC 7518 §3.1 / RFC 8037: the key type each asymmetric algorithm signs with. */
const KTY_FOR_ALG: Record<string, string> = {
  ES256: 'EC',
  ES384: 'EC',
  ES512: 'EC',
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  PS256: 'RSA',
  PS384: 'RSA',
  PS512: 'RSA',
  EdDSA: 'OKP',
  Ed25519: 'OKP',
};

/** Asymmetric JWS algorithms only: `none` and HMAC (`HS*`) never verify an access token (RFC 8725 §3.1). */
export const ASYMMETRIC_ALGS: readonly string[] = Object.keys(KTY_FOR_ALG);

export interface KeySetOptions {
  jwksUri: () => Promise<string>;
  fetch: FetchLike;
  ttlMs: number;
  refetchFloorMs: number;
  now: () => number;
}

export class RemoteKeySet {
  readonly #cache: CachedValue<JWK[]>;
  #imported = new Map<string, Promise<VerifyKey>>();
  #fetches = 0;

  constructor(private readonly options: KeySetOptions) {
    this.#cache = new CachedValue(
      async () => {
        const uri = await options.jwksUri();
        this.#fetches++;
        const doc = await fetchJson(options.fetch, uri, 'JWKS');
        if (!Array.isArray(doc.keys)) throw new AuthorizationServerError(`JWKS at ${uri} has no keys array`);
        this.#imported = new Map();
        return doc.keys as JWK[];
      },
      options.ttlMs,
      options.now,
    );
  }

  /** How many times the JWKS was fetched (for metrics and tests). */
  get fetchCount(): number {
    return this.#fetches;
  }

  async key(kid: string | undefined, alg: string): Promise<VerifyKey> {
    let jwk = pick(await this.#cache.get(), kid, alg);
    if (!jwk && this.options.now() - this.#cache.loadedAt >= this.options.refetchFloorMs) {
      jwk = pick(await this.#cache.reload(), kid, alg);
    }
    if (!jwk) {
      throw new TokenError('unknown_kid', kid ? `no signing key with kid '${kid}' for ${alg}` : `no unique signing key for ${alg}`);
    }
    const cacheKey = `${jwk.kid ?? ''}|${alg}`;
    let imported = this.#imported.get(cacheKey);
    if (!imported) {
      imported = importJWK(jwk, alg);
      this.#imported.set(cacheKey, imported);
    }
    return imported;
  }
}

function pick(keys: JWK[], kid: string | undefined, alg: string): JWK | undefined {
  const usable = keys.filter(
    (k) => k.kty === KTY_FOR_ALG[alg] && (k.use === undefined || k.use === 'sig') && (k.alg === undefined || k.alg === alg),
  );
  if (kid !== undefined) return usable.find((k) => k.kid === kid);
  // RFC 7515 §4.1.4: without a `kid` the key is ambiguous unless there is only one candidate.
  return usable.length === 1 ? usable[0] : undefined;
}
