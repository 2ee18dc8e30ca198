import { Type, type Static } from 'authplane';

export const trustedIssuersSchema = Type.Object(
  {
    jwksCacheTtl: Type.Integer({
      minimum: 0,
      maximum: 86400,
      default: 300,
      description:
        'How long a fetched JWKS (and discovered `jwks_uri`) is used before it is fetched again, in seconds. An unknown `kid` refetches sooner (see `unknownKidRefetchInterval`); `POST /admin/idps/{id}/refresh` at once.',
    }),
    unknownKidRefetchInterval: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 10,
      description:
        'The least time between two refetches of one JWKS caused by a token naming a `kid` it does not hold, in seconds: a key rotated at the issuer is picked up at once, a flood of forged kids costs one fetch per interval.',
    }),
    fetchTimeout: Type.Integer({
      minimum: 100,
      maximum: 60000,
      default: 5000,
      description: 'Deadline of one JWKS or issuer-metadata fetch, connect to last byte, in milliseconds.',
    }),
    allowPrivateAddresses: Type.Boolean({
      default: false,
      description:
        'Fetch JWKS and issuer metadata from loopback and private addresses too (local development and tests). Off, the SSRF guard refuses them.',
    }),
  },
  { additionalProperties: false },
);

export type TrustedIssuersOptions = Static<typeof trustedIssuersSchema>;

const URL_PATTERN = '^https?://';

export const createIssuerSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_.-]*$' }),
    issuer: Type.String({ minLength: 1, maxLength: 1000, pattern: URL_PATTERN }),
    jwks_uri: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 2000, pattern: URL_PATTERN })),
    audience: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, maxLength: 1000 })),
    enabled: Type.Optional(Type.Boolean()),
    workload: Type.Optional(Type.Boolean()),
    subject_mode: Type.Optional(Type.Enum(['auto_map', 'strict'] as const, { type: 'string' })),
  },
  { additionalProperties: false },
);
export const updateIssuerSchema = Type.Partial(createIssuerSchema, { minProperties: 1 });

export const createRuleSchema = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 1000 }),
    // Claim path (dotted) → the exact value the token must carry.
    claims: Type.Optional(
      Type.Unsafe<Record<string, string | number | boolean>>({
        type: 'object',
        maxProperties: 20,
        propertyNames: { minLength: 1, maxLength: 200 },
        additionalProperties: { type: ['string', 'number', 'boolean'] },
      }),
    ),
    client_id: Type.String({ minLength: 1, maxLength: 512 }),
  },
  { additionalProperties: false },
);

export type IssuerFields = Static<typeof createIssuerSchema>;
export type IssuerPatch = Static<typeof updateIssuerSchema>;
export type RuleFields = Static<typeof createRuleSchema>;
