/**
 * The admin API's client bodies (the CLI sends the same objects). Field names are RFC 7591 §2 client metadata, so
 * the same shapes serve dynamic registration later. Shape is checked here; rules between fields in metadata.ts.
 */
import { Type, type Static } from 'authplane';

/**
 * Grant types a client may be registered for even before their plugin is enabled (RFC 6749, RFC 8693 token
 * exchange, RFC 7523 JWT bearer); grants registered by other plugins are accepted too.
 */
export const KNOWN_GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
] as const;

/** RFC 7591 §2: token_endpoint_auth_method values this plugin authenticates. */
export const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
/** Methods proving a shared secret: a client registered for one gets a generated secret. */
export const CONFIDENTIAL_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post']);
/** Methods a confidential client may use: a secret, or a JWT signed with its key (RFC 7523 §2.2, private-key-jwt plugin). */
export const AUTHENTICATED_METHODS: ReadonlySet<string> = new Set([...CONFIDENTIAL_METHODS, 'private_key_jwt']);
/** Client metadata (RFC 7591 §2) kept in `metadata`: the keys a `private_key_jwt` client signs with. */
export const KEY_FIELDS = ['jwks', 'jwks_uri'] as const;

/** OAuth 2.1 drops the implicit grant: `code` is the only response type. */
export const RESPONSE_TYPES = ['code'] as const;
export const APPLICATION_TYPES = ['web', 'native'] as const;
export const CLIENT_STATUSES = ['active', 'suspended', 'revoked'] as const;

export type AuthMethod = (typeof AUTH_METHODS)[number];
export type ClientStatus = (typeof CLIENT_STATUSES)[number];
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

const MAX_REDIRECT_URIS = 20;

/** Every writable field; create requires some of them, update none. */
export const createClientSchema = Type.Object(
  {
    client_name: Type.String({ minLength: 1, maxLength: 255, pattern: '\\S' }),
    redirect_uris: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: MAX_REDIRECT_URIS, uniqueItems: true }),
    ),
    // Known grants or any a plugin registers (a custom grant is assigned to clients like a built-in): metadata.ts.
    grant_types: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { minItems: 1, uniqueItems: true }),
    response_types: Type.Optional(Type.Array(Type.Enum(RESPONSE_TYPES, { type: 'string' }), { uniqueItems: true })),
    token_endpoint_auth_method: Type.Enum(AUTH_METHODS, { type: 'string' }),
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
    scope: Type.String({ maxLength: 4000, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E ]*$' }),
    application_type: Type.Optional(Type.Enum(APPLICATION_TYPES, { type: 'string' })),
    agent: Type.Optional(Type.Boolean()),
    agent_description: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 1000 })),
    /** RFC 9449 §5.2: every token request of this client must carry a DPoP proof. Kept in `metadata`. */
    dpop_bound_access_tokens: Type.Optional(Type.Boolean()),
    /** RFC 7591 §2: the client's public keys, inline. Kept in `metadata`; one of jwks and jwks_uri. */
    jwks: Type.Optional(
      Type.Unsafe<{ keys: Record<string, unknown>[] } | null>({
        type: ['object', 'null'],
        required: ['keys'],
        properties: { keys: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'object', required: ['kty'] } } },
      }),
    ),
    /** RFC 7591 §2: where the client publishes its public keys. Kept in `metadata`. */
    jwks_uri: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const updateClientSchema = Type.Partial(createClientSchema, { minProperties: 1 });

export type ClientFields = Static<typeof createClientSchema>;
export type ClientPatch = Static<typeof updateClientSchema>;

/** Options of the clients plugin (`clients({ … })`, `AUTHPLANE_CLIENTS_*`). */
export const clientsOptionsSchema = Type.Object(
  {
    cacheTtl: Type.Integer({
      minimum: 0,
      maximum: 300,
      default: 5,
      description:
        'How long a server answers client lookups (token, introspection, revocation, authorize) from memory, in seconds. ' +
        'Changes made through this server apply at once; a change made on another replica or by the CLI applies within ' +
        'this time. 0 reads the database on every lookup.',
    }),
  },
  { additionalProperties: false },
);

export type ClientsOptions = Static<typeof clientsOptionsSchema>;
