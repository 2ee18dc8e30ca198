/**
 * api-key-grant: a client exchanges a pre-shared API key for a short-lived access token bound to the key's audience
 * (`grant_type=urn:example:params:oauth:grant-type:api-key`, `api_key=…`, client authentication as for any grant).
 * The config holds each key's SHA-256 digest, never the key: a leaked config file grants nothing.
 */
import { defineGrant, definePlugin, InvalidGrant, Type, type Static } from 'authplane';

export const API_KEY_GRANT = 'urn:example:params:oauth:grant-type:api-key';

const text = () => Type.String({ minLength: 1 });
const schema = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        // `sha256`: of the key, lowercase hex. The token is for `audience` (`aud`) and speaks for `subject` (`sub`).
        { sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), audience: text(), subject: text(), scope: Type.String() },
        { additionalProperties: false },
      ),
      { default: [], description: 'The API keys a client may exchange: `{ sha256, audience, subject, scope }` each.' },
    ),
    tokenTtl: Type.Integer({ minimum: 30, default: 300, description: 'Lifetime of the access tokens (seconds).' }),
  },
  { additionalProperties: false },
);

export type ApiKeyGrantOptions = Static<typeof schema>;

const sha256 = async (key: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))).toString('hex');

export const apiKeyGrant = definePlugin({
  name: 'api-key-grant',
  schema,
  register(api, options) {
    const keys = new Map(options.keys.map((key) => [key.sha256, key]));
    api.registries.grantTypes.register(
      API_KEY_GRANT,
      defineGrant({
        requiredParams: ['api_key'],
        allowPublicClients: false,
        tokenTtl: options.tokenTtl,
        async handle(ctx) {
          // Looked up by digest: how long the lookup takes says nothing about the keys.
          const key = keys.get(await sha256(ctx.params.api_key));
          if (!key) throw new InvalidGrant('the API key is not recognised');
          const accessToken = await ctx.issueAccessToken({ subject: key.subject, audience: [key.audience], scope: key.scope });
          return { accessToken, audit: { detail: { api_key_sha256: key.sha256.slice(0, 12) } } };
        },
      }),
    );
  },
});
