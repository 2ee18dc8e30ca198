/**
 * Shapes of a resource as the admin API, the CLI and the config's `seed` write it. Shape is checked here; rules
 * between fields (broker needs a provider, URI normalization, unique scope names) in operations.ts.
 */
import { Type, type Static } from 'authplane';

export const BACKEND_KINDS = ['mint', 'broker'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** Lower-case kebab: it appears in URLs (`/.well-known/oauth-protected-resource/<slug>`) and CLI arguments. */
export const SLUG_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$';

const idList = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 1000, uniqueItems: true, description });

const scopeSchema = Type.Object(
  {
    name: Type.String({ maxLength: 128, pattern: SCOPE_TOKEN_PATTERN, description: 'RFC 6749 §3.3 scope token.' }),
    description: Type.Optional(Type.String({ maxLength: 500, description: 'Shown on the consent screen.' })),
    upstream: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 50,
        description: 'Upstream provider scopes this scope maps to (broker resources).',
      }),
    ),
  },
  { additionalProperties: false },
);

/** As written: a missing list is empty (operations.ts completes the policy before it is stored). */
const policySchema = Type.Object(
  {
    exchange: Type.Optional(
      Type.Object(
        { allowed_client_ids: Type.Optional(idList('Clients allowed to exchange tokens for this resource.')) },
        { additionalProperties: false },
      ),
    ),
    runtime: Type.Optional(
      Type.Object({ client_ids: Type.Optional(idList('Clients the resource itself runs as.')) }, { additionalProperties: false }),
    ),
    connect: Type.Optional(
      Type.Object(
        { allowed_return_urls: Type.Optional(idList('URLs a connect flow may return to.')) },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'Who may exchange for, run against and connect to this resource; every list defaults to empty.',
  },
);

const slug = Type.String({ pattern: SLUG_PATTERN, description: 'Unique short name: lower-case letters, digits and dashes.' });
const displayName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Shown on the consent screen.' });
const uri = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'The resource identifier (RFC 8707) and token audience: absolute https (http only for loopback), no fragment.',
});
const backendKind = Type.Enum(BACKEND_KINDS, {
  type: 'string',
  description: '`mint`: we issue its tokens; `broker`: tokens come from an upstream provider.',
});
const brokerProviderId = Type.Unsafe<string | null>({
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 255,
  description: 'Upstream provider of a `broker` resource; required for broker, must be absent for mint.',
});
const scopes = Type.Array(scopeSchema, { maxItems: 200, description: 'The scopes clients may ask for at this resource.' });

/** A create body: `backend_kind` defaults to `mint`, `scopes` to `[]`. */
export const createResourceSchema = Type.Object(
  {
    slug,
    display_name: displayName,
    uri,
    backend_kind: Type.Optional(backendKind),
    broker_provider_id: Type.Optional(brokerProviderId),
    scopes: Type.Optional(scopes),
    policy: Type.Optional(policySchema),
  },
  { additionalProperties: false },
);

export const updateResourceSchema = Type.Partial(createResourceSchema, { minProperties: 1 });

/** A seed is a create body that lists its scopes. */
const seedSchema = Type.Object(
  { ...createResourceSchema.properties, scopes },
  { additionalProperties: false },
);

export type ResourceCreate = Static<typeof createResourceSchema>;
export type ResourcePatch = Static<typeof updateResourceSchema>;
export type ResourceSeed = Static<typeof seedSchema>;
/** Every writable field, as a create has them once `backend_kind` is defaulted. */
export type ResourceFields = ResourceSeed & { backend_kind: BackendKind };

export const optionsSchema = Type.Object(
  {
    seed: Type.Array(seedSchema, {
      default: [],
      description:
        'Resources inserted at boot when their slug is missing; an existing row is never overwritten (edit it through ' +
        'the admin API). Same fields as `POST /admin/resources`. Set it in the config file, `resources({ seed: [...] })`; ' +
        'from the environment use the single-resource shortcut `AUTHPLANE_RESOURCE_URI` instead.',
    }),
    refreshInterval: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 5,
      description:
        "How often a server reads the resources changed since its last read, so replicas see each other's edits without an announcement (seconds; a lookup miss reads them too, at most twice a second).",
    }),
    discoveryScopeLimit: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 100,
      description:
        "The most resource scopes discovery's `scopes_supported` lists: while the union of every resource's scopes has at most this many, it is listed (with `offline_access`); beyond, only `offline_access` — each resource's scopes stay in its Protected Resource Metadata. 0 never lists them.",
    }),
  },
  {
    additionalProperties: false,
    description:
      'Protected resources (the MCP servers we issue tokens for). `AUTHPLANE_RESOURCE_URI` + `AUTHPLANE_RESOURCE_SCOPES` ' +
      '(comma list) seed one `mint` resource from the environment.',
  },
);

export type ResourcesOptions = Static<typeof optionsSchema>;
