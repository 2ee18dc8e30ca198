import { Type, type Static } from 'authplane';

/** Machine tokens live longer than a user's (no refresh token to renew them); one hour is the usual default. */
const DEFAULT_TOKEN_TTL_S = 3600;

export const clientCredentialsSchema = Type.Object(
  {
    tokenTtl: Type.Integer({
      minimum: 30,
      default: DEFAULT_TOKEN_TTL_S,
      description:
        'Lifetime of client_credentials access tokens (seconds; default 1 hour). Must not exceed `signing.retiredKeyRetention`, so a token never outlives its key in the JWKS.',
    }),
  },
  { additionalProperties: false },
);

export type ClientCredentialsOptions = Static<typeof clientCredentialsSchema>;
