/** The oidc-federation plugin's options: the upstream OpenID providers and how calls to them are made. */
import { Type, type Static } from 'authplane';

const roleRule = Type.Object(
  {
    claim: Type.String({ minLength: 1, maxLength: 100, description: 'An ID token claim (`groups`, `roles`, `hd`, `email`…).' }),
    value: Type.String({ minLength: 1, maxLength: 500, description: 'Matches when the claim equals it, or is an array holding it.' }),
    role: Type.Enum(['admin', 'user'] as const, { type: 'string', description: 'The role a match gives.' }),
  },
  { additionalProperties: false },
);

export const upstreamProviderSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{0,31}$',
      description: 'Its name in URLs (`/oidc/<id>/start`, `/oidc/<id>/callback`), in identity links and audit events: lower case, at most 32 characters. Never change it once people signed in: their links name it.',
    }),
    displayName: Type.String({ minLength: 1, maxLength: 100, description: 'The button on the login page: "Sign in with <displayName>".' }),
    issuer: Type.String({
      format: 'uri',
      pattern: '^https?://',
      description: 'The issuer identifier; `<issuer>/.well-known/openid-configuration` is read at boot and its `issuer` must be this exactly. https only (http with `outbound.allowPrivateAddresses`, for tests).',
    }),
    clientId: Type.String({ minLength: 1, maxLength: 500, description: 'The client id this server was registered with upstream.' }),
    clientSecretEnv: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description: 'The environment variable holding the client secret (read at each call, never written in the config). Without it the client is public: PKCE only, no client authentication.',
      }),
    ),
    // Optional in the type, so a config written in TypeScript can leave defaulted fields out of each item.
    tokenEndpointAuthMethod: Type.Optional(
      Type.Enum(['client_secret_basic', 'client_secret_post'] as const, {
        type: 'string',
        default: 'client_secret_basic',
        description: 'How the client secret is sent to the token endpoint (RFC 6749 §2.3.1).',
      }),
    ),
    scopes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), {
        default: ['openid', 'email', 'profile'],
        description: 'Scopes asked for; `openid` is always sent.',
      }),
    ),
    authorizationParams: Type.Optional(Type.Unsafe<Record<string, string>>({
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
      additionalProperties: { type: 'string', maxLength: 1024 },
      maxProperties: 20,
      default: {},
      description: 'More authorization request parameters (`prompt`, Google\'s `hd`, Entra ID\'s `domain_hint`…). The protocol\'s own (state, nonce, PKCE, redirect_uri, scope, response_type, client_id) cannot be set.',
    })),
    roles: Type.Optional(
      Type.Array(roleRule, {
        default: [],
        description: 'Role rules, first match wins, applied at every login through this provider (an unmatched user is `user`). Empty: the role is `user` at creation and left alone afterwards.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const oidcFederationSchema = Type.Object(
  {
    providers: Type.Array(upstreamProviderSchema, {
      default: [],
      description: 'Upstream OpenID providers people sign in with, each a button on the login page. Their discovery documents are read and checked when the server starts; one that cannot be read stops it.',
    }),
    showLocalLogin: Type.Boolean({
      default: true,
      description: 'Keep the email and password form. false: only the upstream providers are offered and `POST /login` answers 404 (a server with no provider left warns at start).',
    }),
    clockTolerance: Type.Integer({
      minimum: 0,
      maximum: 300,
      default: 30,
      description: 'Seconds of clock difference tolerated when checking an ID token\'s `exp`, `iat` and `nbf`.',
    }),
    outbound: Type.Object(
      {
        timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 10000, description: 'Deadline of one call to an upstream (discovery, token, JWKS), connect to last byte (ms).' }),
        maxResponseBytes: Type.Integer({ minimum: 1024, maximum: 1048576, default: 262144, description: 'Largest upstream answer read (bytes), counted while it streams in.' }),
        allowPrivateAddresses: Type.Boolean({
          default: false,
          description: 'Call upstreams on loopback, private and other non-public addresses, and over http. Allowed only with a localhost issuer (tests, local development); boot fails otherwise.',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description:
      'Sign in through upstream OpenID Connect providers (Google, Okta, Entra ID, Auth0…), several at once: authorization code with PKCE, state and nonce; ID tokens checked by openid-client; users created on first login and found again by (provider, sub), never by email. Calls upstream go only to the endpoints the issuer\'s discovery document names, follow no redirects and are SSRF-guarded.',
  },
);

export type OidcFederationOptions = Static<typeof oidcFederationSchema>;
export type UpstreamProviderOptions = Static<typeof upstreamProviderSchema>;
export type RoleRule = Static<typeof roleRule>;
