/**
 * Shapes of a resource as the admin API, the CLI and the config's `seed` write it. Shape is checked here; rules
 * between fields (broker needs a provider, URI normalization, unique scope names) in operations.ts.
 */
import type { JsonSchema, ResourcePolicy, ResourceScope } from 'authplane';

export const BACKEND_KINDS = ['mint', 'broker'] as const;
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** Lower-case kebab: it appears in URLs (`/.well-known/oauth-protected-resource/<slug>`) and CLI arguments. */
export const SLUG_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$';

/** Every writable field; create requires some of them, update none. */
export interface ResourceFields {
  slug: string;
  display_name: string;
  uri: string;
  backend_kind: BackendKind;
  broker_provider_id?: string | null;
  scopes: ResourceScope[];
  policy?: ResourcePolicy;
}

export type ResourcePatch = Partial<ResourceFields>;

/** What a create body or a seed must give: `backend_kind` defaults to `mint`, `scopes` (on create) to `[]`. */
export type ResourceSeed = Omit<ResourceFields, 'backend_kind'> & { backend_kind?: BackendKind };
export type ResourceCreate = Omit<ResourceSeed, 'scopes'> & { scopes?: ResourceFields['scopes'] };

const idList = (description: string): JsonSchema => ({
  type: 'array',
  maxItems: 1000,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 2048 },
  description,
});

const fieldSchemas: Record<keyof ResourceFields, JsonSchema> = {
  slug: { type: 'string', pattern: SLUG_PATTERN, description: 'Unique short name: lower-case letters, digits and dashes.' },
  display_name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S', description: 'Shown on the consent screen.' },
  uri: {
    type: 'string',
    minLength: 1,
    maxLength: 2048,
    description: 'The resource identifier (RFC 8707) and token audience: absolute https (http only for loopback), no fragment.',
  },
  backend_kind: {
    type: 'string',
    enum: BACKEND_KINDS,
    description: '`mint`: we issue its tokens; `broker`: tokens come from an upstream provider.',
  },
  broker_provider_id: {
    type: ['string', 'null'],
    minLength: 1,
    maxLength: 255,
    description: 'Upstream provider of a `broker` resource; required for broker, must be absent for mint.',
  },
  scopes: {
    type: 'array',
    maxItems: 200,
    description: 'The scopes clients may ask for at this resource.',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', maxLength: 128, pattern: SCOPE_TOKEN_PATTERN, description: 'RFC 6749 §3.3 scope token.' },
        description: { type: 'string', maxLength: 500, description: 'Shown on the consent screen.' },
        upstream: {
          type: 'array',
          maxItems: 50,
          items: { type: 'string', minLength: 1, maxLength: 256 },
          description: 'Upstream provider scopes this scope maps to (broker resources).',
        },
      },
    },
  },
  policy: {
    type: 'object',
    additionalProperties: false,
    description: 'Who may exchange for, run against and connect to this resource; every list defaults to empty.',
    properties: {
      exchange: {
        type: 'object',
        additionalProperties: false,
        properties: { allowed_client_ids: idList('Clients allowed to exchange tokens for this resource.') },
      },
      runtime: {
        type: 'object',
        additionalProperties: false,
        properties: { client_ids: idList('Clients the resource itself runs as.') },
      },
      connect: {
        type: 'object',
        additionalProperties: false,
        properties: { allowed_return_urls: idList('URLs a connect flow may return to.') },
      },
    },
  },
};

export const createResourceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['slug', 'display_name', 'uri'],
  properties: fieldSchemas,
};

export const updateResourceSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: fieldSchemas,
};

export interface ResourcesOptions {
  seed: ResourceSeed[];
  refreshInterval: number;
}

export const optionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  description:
    'Protected resources (the MCP servers we issue tokens for). `AUTHPLANE_RESOURCE_URI` + `AUTHPLANE_RESOURCE_SCOPES` ' +
    '(comma list) seed one `mint` resource from the environment.',
  properties: {
    seed: {
      type: 'array',
      default: [],
      description:
        'Resources inserted at boot when their slug is missing; an existing row is never overwritten (edit it through ' +
        'the admin API). Same fields as `POST /admin/resources`. Set it in the config file, `resources({ seed: [...] })`; ' +
        'from the environment use the single-resource shortcut `AUTHPLANE_RESOURCE_URI` instead.',
      items: { ...createResourceSchema, required: ['slug', 'display_name', 'uri', 'scopes'] },
    },
    refreshInterval: {
      type: 'integer',
      minimum: 1,
      maximum: 3600,
      default: 5,
      description:
        "How long a server keeps its in-memory copy of the resources before re-reading the table, so replicas see each other's edits (seconds; a lookup miss re-reads at once).",
    },
  },
};
