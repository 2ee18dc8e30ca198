import { Type, type Static } from 'authplane';

export const tokenExchangeSchema = Type.Object(
  {
    maxChainDepth: Type.Integer({
      minimum: 1,
      maximum: 10,
      default: 5,
      description:
        'Most `act` hops an exchanged token may carry (RFC 8693 §4.1): an exchange that would nest deeper is refused with `invalid_request`.',
    }),
    allowSelfExchange: Type.Boolean({
      default: false,
      description:
        "Skip the check that the user's consent still stands when a client exchanges a token issued to itself (the other gates still apply).",
    }),
    tokenTtl: Type.Optional(
      Type.Integer({
        minimum: 30,
        description:
          "Lifetime of exchanged access tokens (seconds; default `tokens.accessTokenTtl`). An exchanged token never outlives its subject token. Must not exceed `signing.retiredKeyRetention`.",
      }),
    ),
  },
  { additionalProperties: false },
);

export type TokenExchangeOptions = Static<typeof tokenExchangeSchema>;
