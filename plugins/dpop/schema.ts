import type { JsonSchema } from 'authplane';

/** RFC 9449 §4.2 / §11.6: asymmetric algorithms only; `none` and MACs can never prove possession of a key. */
export const DPOP_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

export interface DpopOptions {
  proofLifetime: number;
  requireNonce: boolean;
  nonceTtl: number;
  algorithms: DpopAlgorithm[];
  replayCleanupInterval: number;
}

export const dpopSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    proofLifetime: {
      type: 'integer',
      minimum: 1,
      maximum: 600,
      default: 60,
      description:
        'How far a proof\'s `iat` may lie from the server clock, in either direction (seconds; the past bounds a proof\'s life, the future tolerates client clock skew). A proof\'s `jti` is remembered this long.',
    },
    requireNonce: {
      type: 'boolean',
      default: false,
      description:
        'Require a server nonce in every proof (RFC 9449 §8): a proof without a valid one gets 400 `use_dpop_nonce` with a fresh `DPoP-Nonce` header, and successful responses carry the next one. Nonces are an HMAC under a key derived from AUTHPLANE_SESSION_SECRET, so replicas must share that secret.',
    },
    nonceTtl: {
      type: 'integer',
      minimum: 1,
      maximum: 86400,
      default: 300,
      description: 'How long a server nonce stays valid after it was issued (seconds).',
    },
    algorithms: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: [...DPOP_ALGORITHMS] },
      default: [...DPOP_ALGORITHMS],
      description: 'Proof signature algorithms accepted, advertised as `dpop_signing_alg_values_supported`.',
    },
    replayCleanupInterval: {
      type: 'integer',
      minimum: 0,
      default: 60,
      description:
        'Every this many seconds each server deletes expired rows of the replay store (0: only `authserver purge --only dpop_nonces` does).',
    },
  },
};
