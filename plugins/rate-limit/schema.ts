import { Type, type Static } from 'authplane';

export const LIMIT_CLASSES = ['strict', 'token', 'default'] as const;
export type LimitClass = (typeof LIMIT_CLASSES)[number];

const bucket = (description: string, capacity: number, refillPerSecond: number) =>
  Type.Object(
    {
      capacity: Type.Integer({
        minimum: 1,
        default: capacity,
        description: 'Requests one address may make in a burst (the bucket size).',
      }),
      refillPerSecond: Type.Number({
        exclusiveMinimum: 0,
        default: refillPerSecond,
        description: 'Sustained requests per second one address may make (the rate the bucket refills).',
      }),
    },
    { default: {}, additionalProperties: false, description },
  );

export type BucketOptions = Static<ReturnType<typeof bucket>>;

export const rateLimitSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Limit requests per client address on the public listener.' }),
    strict: bucket(
      'POST /login, POST /login/<provider>/callback and POST /oauth/register: password guessing and registration spam (each attempt costs a password hash or a row).',
      10,
      0.2,
    ),
    token: bucket('/oauth/token, /oauth/introspect and /oauth/revoke: machine clients and resource servers call these often.', 300, 50),
    default: bucket('Every other public route (authorize, consent, logout, plugin routes).', 120, 10),
    shared: Type.Boolean({
      default: true,
      description:
        'On a database replicas share (PostgreSQL), count in the shared table `rate_limit_windows` (fixed windows of capacity / refillPerSecond seconds, one statement per limited request) so all replicas share one budget per address. false: per-process buckets (N replicas give an address N times the budget). SQLite always uses per-process buckets.',
    }),
    maxBuckets: Type.Integer({
      minimum: 100,
      default: 100000,
      description:
        'Most addresses tracked at once (bounds memory, ~100 bytes each). Full buckets are forgotten first; beyond the cap the least recently created are dropped.',
    }),
  },
  {
    additionalProperties: false,
    description:
      'Per-client-IP limits on the public listener: token buckets in the process on SQLite, fixed windows shared ' +
      'through the database on PostgreSQL (see `shared`). Health probes and /.well-known/* are never limited.',
  },
);

export type RateLimitOptions = Static<typeof rateLimitSchema>;
