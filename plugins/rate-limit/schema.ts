import type { JsonSchema } from 'authplane';

export interface BucketOptions {
  capacity: number;
  refillPerSecond: number;
}

export const LIMIT_CLASSES = ['strict', 'token', 'default'] as const;
export type LimitClass = (typeof LIMIT_CLASSES)[number];

export interface RateLimitOptions {
  enabled: boolean;
  strict: BucketOptions;
  token: BucketOptions;
  default: BucketOptions;
  maxBuckets: number;
}

const bucket = (description: string, capacity: number, refillPerSecond: number): JsonSchema => ({
  type: 'object',
  default: {},
  additionalProperties: false,
  description,
  properties: {
    capacity: {
      type: 'integer',
      minimum: 1,
      default: capacity,
      description: 'Requests one address may make in a burst (the bucket size).',
    },
    refillPerSecond: {
      type: 'number',
      exclusiveMinimum: 0,
      default: refillPerSecond,
      description: 'Sustained requests per second one address may make (the rate the bucket refills).',
    },
  },
});

export const rateLimitSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'Per-client-IP token buckets on the public listener. Buckets live in each process: with N replicas an address ' +
    'gets N times the budget. Health probes and /.well-known/* are never limited.',
  properties: {
    enabled: { type: 'boolean', default: true, description: 'Limit requests per client address on the public listener.' },
    strict: bucket(
      'POST /login and POST /oauth/register: password guessing and registration spam (each attempt costs a password hash or a row).',
      10,
      0.2,
    ),
    token: bucket('/oauth/token, /oauth/introspect and /oauth/revoke: machine clients and resource servers call these often.', 300, 50),
    default: bucket('Every other public route (authorize, consent, logout, plugin routes).', 120, 10),
    maxBuckets: {
      type: 'integer',
      minimum: 100,
      default: 100000,
      description:
        'Most addresses tracked at once (bounds memory, ~100 bytes each). Full buckets are forgotten first; beyond the cap the least recently created are dropped.',
    },
  },
};
