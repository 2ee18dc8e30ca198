/** The dcr plugin's options and the shape of an RFC 7591 §2 registration request. */
import { Type, type Static } from 'authplane';
import type { DcrMode } from './types.js';

export const DCR_MODES = ['open', 'approved_redirects', 'admin_only'] as const satisfies readonly DcrMode[];

export const dcrOptionsSchema = Type.Object(
  {
    mode: Type.Enum(DCR_MODES, {
      type: 'string',
      default: 'open',
      description:
        'Who may register clients at `POST /oauth/register`: `open` (anyone), `approved_redirects` (only with redirect URIs listed in `approvedRedirects`), `admin_only` (nobody: 403 access_denied; also stops CIMD). A mode set at run time (`PATCH /admin/settings/dcr`, `authserver admin dcr set`) is stored and wins over this value after a restart.',
    }),
    approvedRedirects: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Redirect URIs a registration may use in `approved_redirects` mode, compared exactly (comma list in the environment).',
    }),
    inactiveClientTtl: Type.Integer({
      minimum: 3600,
      default: 2592000,
      description:
        'Dynamically registered clients unused for this long (seconds; default 30 days; never used counts from registration) are deleted by `authserver purge --only dcr_clients`.',
    }),
  },
  { additionalProperties: false },
);

export type DcrOptions = Static<typeof dcrOptionsSchema>;

/** RFC 7591 §2 informational metadata kept with the client and returned in the registration response. */
export const INFORMATIONAL_FIELDS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'contacts', 'software_id', 'software_version'] as const;

/** Registered metadata the server acts on, kept in the client's metadata next to the informational fields. */
export const ENFORCED_METADATA_FIELDS = ['dpop_bound_access_tokens', 'jwks', 'jwks_uri'] as const;

/** The bound: a registration lists at most 10 redirect URIs (the admin API allows more). */
export const MAX_REDIRECT_URIS = 10;

/** The admin API's bound on agent_description (plugins/clients/schema.ts). */
export const AGENT_DESCRIPTION_MAX = 1000;

const uri = () => Type.String({ minLength: 1, maxLength: 2000 });

/**
 * The registration request. RFC 7591 §2: unknown members are ignored, so `additionalProperties` is allowed;
 * rules between fields and redirect URI shapes are the clients plugin's (the same as the admin API's).
 */
export const registrationRequestSchema = Type.Object({
  // redirect_uris is required only with authorization_code (RFC 7591 §2), which the clients plugin checks.
  client_name: Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' }),
  redirect_uris: Type.Optional(Type.Array(uri(), { maxItems: MAX_REDIRECT_URIS })),
  grant_types: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1 })),
  // OAuth 2.1 drops the implicit grant: `code` is the only response type.
  response_types: Type.Optional(Type.Array(Type.Enum(['code'], { type: 'string' }))),
  token_endpoint_auth_method: Type.Optional(Type.Enum(['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'], { type: 'string' })),
  application_type: Type.Optional(Type.Enum(['web', 'native'], { type: 'string' })),
  scope: Type.Optional(Type.String({ maxLength: 4000 })),
  client_uri: Type.Optional(uri()),
  logo_uri: Type.Optional(uri()),
  tos_uri: Type.Optional(uri()),
  policy_uri: Type.Optional(uri()),
  contacts: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 10 })),
  software_id: Type.Optional(Type.String({ maxLength: 255 })),
  software_version: Type.Optional(Type.String({ maxLength: 255 })),
  // RFC 9449 §5.2: the client asks that every token it gets be DPoP-bound.
  dpop_bound_access_tokens: Type.Optional(Type.Boolean()),
  // RFC 7591 §2: the public keys of a private_key_jwt client (shape and rules checked by the clients plugin).
  jwks: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
  jwks_uri: Type.Optional(uri()),
  // docs/agents.md: the client describes itself as an agent; its tokens then carry agent_id (it grants nothing).
  agent: Type.Optional(Type.Boolean()),
  agent_description: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: AGENT_DESCRIPTION_MAX })),
});

/** A request that passed the schema; informational members are read by name (INFORMATIONAL_FIELDS). */
export type RegistrationRequest = Static<typeof registrationRequestSchema> & { [informational: string]: unknown };
