/**
 * api-key-grant: a client exchanges a pre-shared API key for a short-lived access token bound to the key's audience
 * (`grant_type=urn:example:params:oauth:grant-type:api-key`, `api_key=…`, client authentication as for any grant).
 * The config holds each key's SHA-256 digest, never the key: a leaked config file grants nothing.
 */
import { defineGrant, definePlugin, InvalidGrant, type JsonSchema } from 'authplane';

export const API_KEY_GRANT = 'urn:example:params:oauth:grant-type:api-key';

/** `sha256`: of the key, lowercase hex. The token is for `audience` (`aud`) and speaks for `subject` (`sub`). */
export interface ApiKey { sha256: string; audience: string; subject: string; scope: string }
export interface ApiKeyGrantOptions { keys: ApiKey[]; tokenTtl: number }

const str = { type: 'string', minLength: 1 } as const;
const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    keys: {
      type: 'array',
      default: [],
      description: 'The API keys a client may exchange: `{ sha256, audience, subject, scope }` each.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['sha256', 'audience', 'subject', 'scope'],
        properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' }, audience: str, subject: str, scope: { type: 'string' } },
      },
    },
    tokenTtl: { type: 'integer', minimum: 30, default: 300, description: 'Lifetime of the access tokens (seconds).' },
  },
};

const sha256 = async (key: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))).toString('hex');

export const apiKeyGrant = definePlugin<ApiKeyGrantOptions>({
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
