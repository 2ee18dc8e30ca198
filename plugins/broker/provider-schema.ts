/**
 * Shapes of a broker provider as the admin API, the CLI and the config's `providers` seeds write it. `config` is
 * checked against its protocol's shape (one schema per protocol, so a problem names `config.<field>`); rules that
 * need more than a shape — URLs, reserved authorize parameters, variable names — are in provider-rules.ts.
 */
import { Type, type Static } from 'authplane';

export const PROTOCOLS = ['oauth', 'api_key', 'service_account'] as const;
export const RESPONSE_QUIRKS = ['none', 'github', 'slack'] as const;
export const TOKEN_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
const SCOPE_SEPARATORS = [' ', ','] as const;

/** Lower-case kebab, as resource slugs: it appears in URLs (`/connect/<slug>`) and in resources' `broker_provider_id`. */
export const PROVIDER_SLUG_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
/** A POSIX-style environment variable name (letters, digits, `_`, not starting with a digit). */
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$';

const envName = (what: string) =>
  Type.String({
    minLength: 1,
    maxLength: 128,
    pattern: ENV_NAME_PATTERN,
    description: `The NAME of the environment variable holding ${what} (never the value itself).`,
  });
const url = (description: string) => Type.String({ minLength: 1, maxLength: 2048, description });
const clientId = Type.String({ minLength: 1, maxLength: 512, description: 'The client id registered with the provider.' });
const scopeList = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 256, pattern: SCOPE_TOKEN_PATTERN }), {
    maxItems: 100,
    uniqueItems: true,
    default: [],
    description,
  });
const scopeSeparator = Type.Enum(SCOPE_SEPARATORS, {
  type: 'string',
  default: ' ',
  description: 'What goes between scopes in the `scope` parameter: a space (RFC 6749 §3.3) or `,` (Slack).',
});
const tokenAuthMethod = Type.Enum(TOKEN_AUTH_METHODS, {
  type: 'string',
  default: 'client_secret_basic',
  description: 'How the broker authenticates at the token endpoint (RFC 6749 §2.3.1).',
});

export const oauthConfigSchema = Type.Object(
  {
    client_id: clientId,
    client_secret_ref: envName('the client secret'),
    authorize_url: url('Where the user is sent to consent: https (http only for loopback), no query (use authorize_params) or fragment.'),
    token_url: url('The token endpoint: https (http only for loopback), no fragment.'),
    authorize_params: Type.Unsafe<Record<string, string>>({
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      additionalProperties: { type: 'string', maxLength: 1024 },
      maxProperties: 20,
      default: {},
      description: "Extra authorize parameters (Google's `access_type=offline`, `prompt=consent`); never the protocol's own.",
    }),
    default_scopes: scopeList("Upstream scopes asked for when the resource's scopes name none."),
    scope_separator: scopeSeparator,
    response_quirk: Type.Enum(RESPONSE_QUIRKS, {
      type: 'string',
      default: 'none',
      description: 'How the token response departs from RFC 6749 §5.1: `github`, `slack` (OAuth v2 user tokens) or `none`.',
    }),
    token_auth_method: tokenAuthMethod,
    pkce: Type.Boolean({ default: true, description: 'Send PKCE (RFC 7636, S256) with the authorization request.' }),
  },
  { additionalProperties: false },
);

export const apiKeyConfigSchema = Type.Object(
  {
    credential_ref: envName('the API key'),
    scopes: scopeList('The upstream scopes the key carries.'),
  },
  { additionalProperties: false },
);

export const serviceAccountConfigSchema = Type.Object(
  {
    client_id: clientId,
    client_secret_ref: envName('the client secret'),
    token_url: url('The token endpoint the client credentials grant goes to: https (http only for loopback), no fragment.'),
    default_scopes: scopeList('Upstream scopes asked for when none are named.'),
    scope_separator: scopeSeparator,
    token_auth_method: tokenAuthMethod,
  },
  { additionalProperties: false },
);

export const CONFIG_SCHEMAS = { oauth: oauthConfigSchema, api_key: apiKeyConfigSchema, service_account: serviceAccountConfigSchema };

const slug = Type.String({ pattern: PROVIDER_SLUG_PATTERN, description: 'Unique short name: lower-case letters, digits and dashes.' });
const displayName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Shown to users when they connect.' });
const protocol = Type.Enum(PROTOCOLS, { type: 'string', description: '`oauth`, `api_key` or `service_account`.' });
/** Checked against the protocol's own schema once the protocol is known. */
const config = Type.Unsafe<Record<string, unknown>>({ type: 'object', description: "The protocol's settings (docs/broker.md)." });

export const createProviderSchema = Type.Object({ slug, display_name: displayName, protocol, config }, { additionalProperties: false });

/** `slug` and `protocol` may be repeated unchanged; config members given replace the stored ones. */
export const updateProviderSchema = Type.Partial(createProviderSchema, { minProperties: 1 });

export type ProviderCreate = Static<typeof createProviderSchema>;
export type ProviderPatch = Static<typeof updateProviderSchema>;
