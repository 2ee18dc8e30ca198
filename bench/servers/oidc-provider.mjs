/**
 * oidc-provider, the reference Node.js OpenID provider, as the baseline every benchmark ratio is taken against.
 * Plain JavaScript run by node directly (no TypeScript loader), so its memory and start-up are its own.
 *
 *   node bench/servers/oidc-provider.mjs --port 9100 [--profile wellknown|tokens]
 *
 * Profiles configure it like-for-like with the scenario:
 * - `wellknown`: the minimal provider (one ES256 signing key, no clients) serving discovery and JWKS.
 * - `tokens`: client_credentials (features.clientCredentials) for one static client_secret_basic client, ES256 JWT
 *   access tokens for the resource JWT_RESOURCE (features.resourceIndicators, accessTokenFormat 'jwt') — what
 *   AuthPlane issues — plus opaque tokens for OPAQUE_RESOURCE, because oidc-provider introspects only its opaque
 *   tokens (a JWT at its introspection endpoint is refused as "structured"). Introspection and revocation are on,
 *   so its discovery document advertises roughly what ours does. In-memory adapter (its default). With
 *   BENCH_CLIENT_JWK (a public ES256 JWK) in the environment, a second client `bench-key-client` authenticates with
 *   private_key_jwt (RFC 7523) using that key: the baseline of the JWT-assertion scenarios.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';

/** Shared with the benchmark (bench/lib/fixtures.ts): the static machine client and the two resources. */
const FIXTURES = JSON.parse(readFileSync(new URL('./fixtures.json', import.meta.url), 'utf8'));

const OIDC_CLIENT = FIXTURES.oidcProviderClient;
const JWT_RESOURCE = FIXTURES.resource;
const OPAQUE_RESOURCE = FIXTURES.opaqueResource;
const SCOPE = FIXTURES.scope;

function es256Jwk() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
}

const base = () => ({
  jwks: { keys: [es256Jwk()] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  features: { devInteractions: { enabled: false } },
});

/** @type {Record<string, () => import('oidc-provider').Configuration>} */
const PROFILES = {
  wellknown: base,
  tokens: () => ({
    ...base(),
    clients: [
      {
        client_id: OIDC_CLIENT.id,
        client_secret: OIDC_CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        // The only key is ES256; the default (RS256) would make the client invalid.
        id_token_signed_response_alg: 'ES256',
        scope: SCOPE,
      },
      ...(process.env.BENCH_CLIENT_JWK
        ? [
            {
              client_id: 'bench-key-client',
              grant_types: ['client_credentials'],
              response_types: [],
              redirect_uris: [],
              token_endpoint_auth_method: 'private_key_jwt',
              token_endpoint_auth_signing_alg: 'ES256',
              id_token_signed_response_alg: 'ES256',
              jwks: { keys: [JSON.parse(process.env.BENCH_CLIENT_JWK)] },
              scope: SCOPE,
            },
          ]
        : []),
    ],
    // A client's scope must be among the provider's; the resource server then grants it for its audience.
    scopes: ['openid', SCOPE],
    // Like AuthPlane's default: an hour.
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? JWT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator) {
          const info = { scope: SCOPE, audience: indicator, accessTokenTTL: 3600 };
          if (indicator === JWT_RESOURCE) return { ...info, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
          if (indicator === OPAQUE_RESOURCE) return { ...info, accessTokenFormat: 'opaque' };
          throw new errors.InvalidTarget();
        },
      },
    },
  }),
};

const { values } = parseArgs({ options: { port: { type: 'string' }, profile: { type: 'string', default: 'wellknown' } } });
const port = Number(values.port ?? 9100);
const issuer = `http://127.0.0.1:${port}`;
const profile = PROFILES[values.profile];
if (!profile) {
  console.error(`unknown profile '${values.profile}' (known: ${Object.keys(PROFILES).join(', ')})`);
  process.exit(2);
}
const provider = new Provider(issuer, profile());
const server = provider.listen(port, '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
