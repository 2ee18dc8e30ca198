/**
 * The trusted-issuers plugin's `trustedIssuers` service, as other plugins see it (`api.use('trustedIssuers')`): the
 * private-key-jwt client authentication and the jwt-bearer grant verify JWTs signed elsewhere through it, so both
 * share one registry of issuers, one JWKS cache and one single-use store of assertion `jti`s. Type-only imports.
 */
import type { JWTPayload, JSONWebKeySet, ProtectedHeaderParameters } from 'jose';

/** What a trusted issuer asserts: users (an enterprise IdP's ID-JAGs) or, when `workload`, workloads' identities. */
export type SubjectMode = 'auto_map' | 'strict';

export interface TrustedIssuer {
  id: string;
  name: string;
  /** Compared exactly with an assertion's `iss`, trailing slash included. */
  issuer: string;
  /** As configured; undefined when discovered from the issuer's metadata. */
  jwks_uri: string | null;
  /** The `aud` its assertions must carry; null means this server's issuer. */
  audience: string | null;
  enabled: boolean;
  /** Its tokens may authenticate clients (workload identity), through its workload rules. */
  workload: boolean;
  /** How an ID-JAG's `sub` becomes a local subject: `auto_map` (`<issuer>:<sub>` unless mapped) or `strict`. */
  subject_mode: SubjectMode;
  created_at: string;
  updated_at: string;
}

/** A workload rule: a token of this issuer with this `sub` (and these claim values) authenticates this client. */
export interface WorkloadRule {
  id: string;
  issuer_id: string;
  subject: string;
  /** Claims the token must carry with exactly these values (`kubernetes.io.namespace`…, dotted paths). */
  claims: Record<string, string | number | boolean>;
  client_id: string;
  created_at: string;
}

/** Why a JWT was refused: the denial `reason` label, and a client-safe description. */
export class AssertionRejected extends Error {
  override readonly name = 'AssertionRejected';
  constructor(
    readonly reason: string,
    message: string,
    options: ErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** Where the verification keys come from: an issuer's JWKS URL (cached) or keys registered inline. */
export type KeySource = { jwksUri: string } | { jwks: JSONWebKeySet };

export interface VerifyOptions {
  keys: KeySource;
  /** Accepted `aud` values; one must be present. */
  audience: readonly string[];
  /** The expected `iss`. */
  issuer: string;
  /** The JOSE `typ` the header must carry (ID-JAG: `oauth-id-jag+jwt`). */
  typ?: string;
  /** Claims that must be present. */
  requiredClaims?: readonly string[];
  /** Seconds: the most `exp` may lie ahead of now. */
  maxLifetime?: number;
  /** Seconds: the oldest `iat` accepted. */
  maxAge?: number;
}

/**
 * A JWT decoded by `decode`, not verified: its claims say which issuer or client to look up, and nothing more.
 * Passed back to `verify`, it is not decoded a second time.
 */
export interface UnverifiedJwt {
  readonly header: ProtectedHeaderParameters;
  readonly payload: JWTPayload;
}

export interface VerifiedJwt {
  header: ProtectedHeaderParameters;
  payload: JWTPayload;
}

export interface TrustedIssuers {
  /** The signing algorithms `verify` accepts (for discovery metadata). */
  readonly algorithms: readonly string[];
  /** A registered issuer by its id or name (what admin bodies name), enabled or not. */
  find(idOrName: string): Promise<TrustedIssuer | undefined>;
  /** The registered issuer with exactly this identifier, enabled or not. */
  byIssuer(issuer: string): Promise<TrustedIssuer | undefined>;
  /** The issuer's JWKS URL: configured, or discovered from its metadata (cached with the keys). */
  jwksUri(issuer: TrustedIssuer): Promise<string>;
  /** Decodes a compact JWS without verifying it (its `alg` is checked by `verify`); a malformed one throws AssertionRejected (`malformed`). */
  decode(token: string): UnverifiedJwt;
  /**
   * Verifies signature (ES256, RS256, PS256, EdDSA only), `iss`, `aud`, `exp`, `nbf` and the options' bounds. An
   * unknown `kid` refetches the JWKS once. Throws AssertionRejected.
   */
  verify(token: string | UnverifiedJwt, options: VerifyOptions): Promise<VerifiedJwt>;
  /** Records a jti as used until `expiresAt` (seconds); false when it was used before. One INSERT. */
  consumeJti(issuer: string, jti: string, expiresAt: number): Promise<boolean>;
  /** The client a workload token maps to by the issuer's rules, if one does. */
  workloadClient(issuer: TrustedIssuer, payload: JWTPayload): Promise<string | undefined>;
}

declare module 'authplane' {
  interface Services {
    trustedIssuers: TrustedIssuers;
  }
}
