import { Type, type Static } from 'authplane';

/** RFC 9449 §4.2 / §11.6: asymmetric algorithms only; `none` and MACs can never prove possession of a key. */
export const DPOP_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

export const dpopSchema = Type.Object(
  {
    proofLifetime: Type.Integer({
      minimum: 1,
      maximum: 600,
      default: 60,
      description:
        'How far a proof\'s `iat` may lie from the server clock, in either direction (seconds; the past bounds a proof\'s life, the future tolerates client clock skew). A proof\'s `jti` is remembered this long.',
    }),
    requireNonce: Type.Boolean({
      default: false,
      description:
        'Require a server nonce in every proof (RFC 9449 §8): a proof without a valid one gets 400 `use_dpop_nonce` with a fresh `DPoP-Nonce` header, and successful responses carry the next one. Nonces are an HMAC under a key derived from AUTHPLANE_SESSION_SECRET, so replicas must share that secret; it is then required for a non-localhost issuer (`AP_ERR_DPOP_INSECURE_SECRET`).',
    }),
    nonceTtl: Type.Integer({
      minimum: 1,
      maximum: 86400,
      default: 300,
      description: 'How long a server nonce stays valid after it was issued (seconds).',
    }),
    algorithms: Type.Array(Type.Enum(DPOP_ALGORITHMS, { type: 'string' }), {
      minItems: 1,
      uniqueItems: true,
      default: [...DPOP_ALGORITHMS],
      description: 'Proof signature algorithms accepted, advertised as `dpop_signing_alg_values_supported`.',
    }),
    replayCleanupInterval: Type.Integer({
      minimum: 0,
      default: 60,
      description:
        'Every this many seconds each server deletes expired rows of the replay store (0: only `authserver purge --only dpop_nonces` does).',
    }),
  },
  { additionalProperties: false },
);

export type DpopOptions = Static<typeof dpopSchema>;
