import { Type, type Static } from 'authplane';

export const jwtBearerSchema = Type.Object(
  {
    maxAssertionAge: Type.Integer({
      minimum: 10,
      maximum: 3600,
      default: 300,
      description:
        "The oldest ID-JAG accepted, by its `iat`, in seconds (default 5 minutes). An IdP mints one per token request; an older one is refused with `invalid_grant`.",
    }),
    tokenTtl: Type.Optional(
      Type.Integer({
        minimum: 30,
        description:
          'Lifetime of access tokens issued for an ID-JAG (seconds; default `tokens.accessTokenTtl`). No refresh token is issued: the client asks its IdP for a fresh ID-JAG. Must not exceed `signing.retiredKeyRetention`.',
      }),
    ),
  },
  { additionalProperties: false },
);

export type JwtBearerOptions = Static<typeof jwtBearerSchema>;

const list = (maxLength: number) => Type.Array(Type.String({ minLength: 1, maxLength }), { maxItems: 100, uniqueItems: true });

export const createPolicySchema = Type.Object(
  {
    /** The trusted issuer, by id or name. */
    idp: Type.String({ minLength: 1, maxLength: 64 }),
    client_ids: Type.Optional(list(512)),
    scopes: Type.Optional(list(255)),
    resources: Type.Optional(list(2000)),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const updatePolicySchema = Type.Partial(createPolicySchema, { minProperties: 1 });

export const createMappingSchema = Type.Object(
  {
    idp: Type.String({ minLength: 1, maxLength: 64 }),
    idp_subject: Type.String({ minLength: 1, maxLength: 1000 }),
    subject: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);
