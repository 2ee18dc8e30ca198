/** The broker plugin's `vend` option: how upstream tokens are handed out through token exchange (docs/broker.md). */
import { Type, type Static } from 'authplane';

export const vendOptionsSchema = Type.Object(
  {
    refreshSkewSeconds: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 60,
      description:
        'An upstream access token expiring within this many seconds is refreshed before it is vended, so the MCP ' +
        'server does not receive a token that dies on its first call. Service account tokens are cached until this ' +
        'close to their expiry.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type VendOptions = Static<typeof vendOptionsSchema>;
