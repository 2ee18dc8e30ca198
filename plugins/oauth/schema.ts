import { Type, type Static } from 'authplane';

export const oauthSchema = Type.Object(
  {
    requireScope: Type.Boolean({
      default: true,
      description:
        'Refuse an authorization request without `scope` (invalid_scope). When false, such a request is granted every scope of the resource and a WARN is logged once per client.',
    }),
    codeTtl: Type.Integer({
      minimum: 10,
      maximum: 600,
      default: 120,
      description: 'Authorization code lifetime (seconds; RFC 6749 §4.1.2 recommends at most 10 minutes).',
    }),
    refreshTokenTtl: Type.Integer({
      minimum: 60,
      default: 604800,
      description: 'Refresh token lifetime (seconds; default 7 days). Each rotation starts a new lifetime within the family.',
    }),
    refreshReuseGrace: Type.Integer({
      minimum: 0,
      maximum: 60,
      default: 5,
      description:
        'Seconds after a refresh token is used during which the same client repeating the same request (a network retry, two tabs) gets the same refresh token again, with a new access token, instead of the whole family being revoked. 0 turns the window off.',
    }),
    sessionTtl: Type.Integer({
      minimum: 60,
      default: 43200,
      description: 'Login session lifetime (seconds; default 12 hours).',
    }),
    login: Type.Object(
      {
        maxFailures: Type.Integer({
          minimum: 1,
          default: 5,
          description:
            'Failed logins per (email, client) within `failureWindow` before the pair is locked out; the client is the IPv4 address or the IPv6 /64, as for the rate limit. Attempts are counted before the password is checked, so parallel guesses check at most this many.',
        }),
        failureWindow: Type.Integer({ minimum: 1, default: 900, description: 'Window counting failed logins (seconds).' }),
        lockout: Type.Integer({ minimum: 1, default: 900, description: 'How long a locked-out (email, client) waits (seconds).' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  {
    additionalProperties: false,
    description:
      'The authorization-code flow: authorize, login, consent, refresh tokens. `AUTHPLANE_SESSION_SECRET` (environment only) is the HMAC key of login-session cookies: at least 32 characters and required for a non-localhost issuer (`AP_ERR_OAUTH_INSECURE_SECRET`); on localhost an ephemeral one is generated, with a warning, and sessions end on restart. A server without this plugin needs no session secret.',
  },
);

export type OAuthOptions = Static<typeof oauthSchema>;
