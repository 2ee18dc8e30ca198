/** The dcr plugin's options and the shape of an RFC 7591 §2 registration request. */
import type { DcrMode, JsonSchema } from 'authplane';

export const DCR_MODES = ['open', 'approved_redirects', 'admin_only'] as const satisfies readonly DcrMode[];

export interface DcrOptions {
  mode: DcrMode;
  approvedRedirects: string[];
  inactiveClientTtl: number;
}

export const dcrOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mode: {
      type: 'string',
      enum: DCR_MODES,
      default: 'open',
      description:
        'Who may register clients at `POST /oauth/register`: `open` (anyone), `approved_redirects` (only with redirect URIs listed in `approvedRedirects`), `admin_only` (nobody: 403 access_denied; also stops CIMD). A mode set at run time (`PATCH /admin/settings/dcr`, `authserver admin dcr set`) is stored and wins over this value after a restart.',
    },
    approvedRedirects: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [],
      description: 'Redirect URIs a registration may use in `approved_redirects` mode, compared exactly (comma list in the environment).',
    },
    inactiveClientTtl: {
      type: 'integer',
      minimum: 3600,
      default: 2592000,
      description:
        'Dynamically registered clients unused for this long (seconds; default 30 days; never used counts from registration) are deleted by `authserver purge --only dcr_clients`.',
    },
  },
};

/** RFC 7591 §2 informational metadata kept with the client and returned in the registration response. */
export const INFORMATIONAL_FIELDS = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'contacts', 'software_id', 'software_version'] as const;

/** Registered metadata the server acts on, kept in the client's metadata next to the informational fields. */
export const ENFORCED_METADATA_FIELDS = ['dpop_bound_access_tokens'] as const;

/** The bound: a registration lists at most 10 redirect URIs (the admin API allows more). */
export const MAX_REDIRECT_URIS = 10;

const uri = { type: 'string', minLength: 1, maxLength: 2000 } as const;

/**
 * The registration request. RFC 7591 §2: unknown members are ignored, so `additionalProperties` is allowed;
 * rules between fields and redirect URI shapes are the clients plugin's (the same as the admin API's).
 */
export const registrationRequestSchema: JsonSchema = {
  type: 'object',
  // redirect_uris is required only with authorization_code (RFC 7591 §2), which the clients plugin checks.
  required: ['client_name'],
  properties: {
    client_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' },
    redirect_uris: { type: 'array', maxItems: MAX_REDIRECT_URIS, items: uri },
    grant_types: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 255 } },
    // OAuth 2.1 drops the implicit grant: `code` is the only response type.
    response_types: { type: 'array', items: { type: 'string', enum: ['code'] } },
    token_endpoint_auth_method: { type: 'string', enum: ['none', 'client_secret_basic', 'client_secret_post'] },
    application_type: { type: 'string', enum: ['web', 'native'] },
    scope: { type: 'string', maxLength: 4000 },
    client_uri: uri,
    logo_uri: uri,
    tos_uri: uri,
    policy_uri: uri,
    contacts: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 320 } },
    software_id: { type: 'string', maxLength: 255 },
    software_version: { type: 'string', maxLength: 255 },
    // RFC 9449 §5.2: the client asks that every token it gets be DPoP-bound.
    dpop_bound_access_tokens: { type: 'boolean' },
  },
};

export interface RegistrationRequest {
  client_name: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post';
  application_type?: 'web' | 'native';
  scope?: string;
  [informational: string]: unknown;
}
