/**
 * The `trustedIssuers` service: issuer lookups (cached briefly), JWKS discovery, JWT verification, single-use jtis
 * and workload rules. Verification is compact-jwt.ts with keys imported once (the one JWKS cache for URLs, a WeakMap
 * by the set object for a client's inline `jwks`); refusals are AssertionRejected with a short reason, so each caller
 * answers in its own protocol's shape.
 */
import type { KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import type { RuntimeApi } from 'authplane';
import { checkClaims, checkHeader, checkSignature, CLOCK_TOLERANCE_S, decodeJws, ParsedJws } from './compact-jwt.js';
import { fetchJson, type FetchLimits, type JwksCache } from './jwks-cache.js';
import { JtiStore } from './jti.js';
import { ASSERTION_ALGORITHMS, KeySet } from './key-set.js';
import type { IssuerStore } from './store.js';
import { AssertionRejected, type TrustedIssuer, type TrustedIssuers, type UnverifiedJwt, type VerifiedJwt, type VerifyOptions } from './types.js';

export { ASSERTION_ALGORITHMS };
/** Issuer records are read on every assertion; a change made through this server applies at once (invalidate). */
const ISSUER_CACHE_MS = 5000;

/** RFC 8725 §3.11: `typ` compares case-insensitively, and `application/` may be left off. */
const typMatches = (typ: unknown, expected: string) =>
  typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === expected.toLowerCase();

/** A claim by dotted path (`kubernetes.io.namespace` walks `kubernetes.io` → `namespace` when that key exists). */
function claimAt(payload: JWTPayload, path: string): unknown {
  if (path in payload) return payload[path];
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    if (head in payload && typeof payload[head] === 'object' && payload[head] !== null) {
      return claimAt(payload[head] as JWTPayload, parts.slice(i).join('.'));
    }
  }
  return undefined;
}

/** What `decode` returned, its signing input and signature our own: not any object shaped like one. */
function decoded(token: UnverifiedJwt): ParsedJws {
  if (!(token instanceof ParsedJws)) throw new TypeError('verify takes a token string or what decode returned');
  return token;
}

export class TrustedIssuerService implements TrustedIssuers {
  readonly algorithms = ASSERTION_ALGORITHMS;
  readonly #byIssuer = new Map<string, { at: number; issuer: TrustedIssuer | undefined }>();
  readonly #discovered = new Map<string, { at: number; uri: string }>();
  readonly #inline = new WeakMap<JSONWebKeySet, KeySet>();
  readonly #jtis: JtiStore;

  constructor(
    private readonly runtime: () => RuntimeApi,
    private readonly store: IssuerStore,
    readonly cache: JwksCache,
    private readonly limits: FetchLimits,
    private readonly ttlMs: number,
  ) {
    this.#jtis = new JtiStore(runtime);
  }

  /** After an admin write: the next lookup reads the table. */
  invalidate(): void {
    this.#byIssuer.clear();
    this.#discovered.clear();
  }

  find(idOrName: string): Promise<TrustedIssuer | undefined> {
    return this.store.find(idOrName);
  }

  async byIssuer(issuer: string): Promise<TrustedIssuer | undefined> {
    const now = this.runtime().now();
    const hit = this.#byIssuer.get(issuer);
    if (hit && now - hit.at < ISSUER_CACHE_MS) return hit.issuer;
    const found = await this.store.byIssuer(issuer);
    this.#byIssuer.set(issuer, { at: now, issuer: found });
    return found;
  }

  async jwksUri(issuer: TrustedIssuer): Promise<string> {
    if (issuer.jwks_uri) return issuer.jwks_uri;
    const now = this.runtime().now();
    const hit = this.#discovered.get(issuer.issuer);
    if (hit && now - hit.at < this.ttlMs) return hit.uri;
    // OpenID Connect Discovery §4: the issuer with any trailing slash removed, then the well-known path.
    const url = `${issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const metadata = (await fetchJson(url, this.limits)) as { issuer?: unknown; jwks_uri?: unknown } | null;
    // §4.3: the metadata must name exactly the issuer it was fetched for.
    if (metadata?.issuer !== issuer.issuer) throw new AssertionRejected('jwks_unavailable', `the metadata at ${url} names another issuer`);
    if (typeof metadata.jwks_uri !== 'string') throw new AssertionRejected('jwks_unavailable', `the metadata at ${url} has no jwks_uri`);
    this.#discovered.set(issuer.issuer, { at: now, uri: metadata.jwks_uri });
    return metadata.jwks_uri;
  }

  decode(token: string): UnverifiedJwt {
    return decodeJws(token);
  }

  async verify(token: string | UnverifiedJwt, options: VerifyOptions): Promise<VerifiedJwt> {
    const jws = typeof token === 'string' ? decodeJws(token) : decoded(token);
    const alg = checkHeader(jws);
    if (options.typ !== undefined && !typMatches(jws.header.typ, options.typ)) {
      throw new AssertionRejected('wrong_typ', `the assertion's typ must be ${options.typ}`);
    }
    let keys: KeyObject[];
    if ('jwksUri' in options.keys) keys = await this.cache.candidates(options.keys.jwksUri, alg, jws.header.kid);
    else keys = this.#local(options.keys.jwks).candidates(alg, jws.header.kid);
    await checkSignature(jws, alg, keys);
    const now = this.runtime().now();
    checkClaims(jws.payload, { issuer: options.issuer, audience: options.audience, requiredClaims: options.requiredClaims, maxAge: options.maxAge }, now);
    const exp = jws.payload.exp!;
    if (options.maxLifetime !== undefined && exp - now / 1000 > options.maxLifetime + CLOCK_TOLERANCE_S) {
      throw new AssertionRejected('lifetime_too_long', `the assertion must expire within ${options.maxLifetime} seconds`);
    }
    return { header: jws.header, payload: jws.payload };
  }

  consumeJti(issuer: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.#jtis.consume(issuer, jti, expiresAt);
  }

  async workloadClient(issuer: TrustedIssuer, payload: JWTPayload): Promise<string | undefined> {
    if (!issuer.workload || typeof payload.sub !== 'string') return undefined;
    const rules = await this.store.rules(issuer.id, payload.sub);
    return rules.find((rule) => Object.entries(rule.claims).every(([path, value]) => claimAt(payload, path) === value))?.client_id;
  }

  /** Keys registered inline (a client's `jwks`): the same set object keeps its imported keys. */
  #local(jwks: JSONWebKeySet): KeySet {
    let keys = this.#inline.get(jwks);
    if (!keys) this.#inline.set(jwks, (keys = new KeySet(jwks)));
    return keys;
  }
}
