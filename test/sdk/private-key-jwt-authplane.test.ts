/**
 * The SDK's OAuth client with `private_key_jwt` against AuthPlane itself (the private-key-jwt plugin): the same
 * assertion oidc-provider accepts in private-key-jwt.test.ts gets a token here, introspects and revokes it, and a
 * key AuthPlane does not hold for the client is `invalid_client`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportJWK } from 'jose';
import { createOAuthClient, OAuthClientError } from '@authplane/sdk';
import { jwtServer, RESOURCE_URI, signingKey } from '../plugins/jwt-bearer/setup.js';

test('the SDK client authenticates to AuthPlane with private_key_jwt for client credentials, introspection and revocation', async (t) => {
  const fx = await jwtServer(t);
  const key = await signingKey('ES256');
  const { client_id } = await fx.createClient({
    client_name: 'SDK key client',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    scope: 'tools/read tools/write',
    jwks: { keys: [key.publicJwk] },
  });
  const privateJwk = { ...(await exportJWK(key.privateKey)), kid: key.kid };
  const client = createOAuthClient({ issuer: fx.url, clientId: client_id, privateKey: privateJwk });

  const issued = await client.clientCredentials({ scope: 'tools/read', resource: RESOURCE_URI });
  assert.equal(issued.scope, 'tools/read');
  const info = await client.introspect(issued.access_token);
  assert.equal(info.active, true);
  assert.equal(info.client_id, client_id);
  assert.deepEqual(info.aud, [RESOURCE_URI]);
  await client.revoke(issued.access_token, { tokenTypeHint: 'access_token' });
  assert.equal((await client.introspect(issued.access_token)).active, false, 'revoked with an assertion-authenticated call');

  const stranger = await signingKey('ES256');
  const strangerJwk = { ...(await exportJWK(stranger.privateKey)), kid: key.kid };
  const err = await createOAuthClient({ issuer: fx.url, clientId: client_id, privateKey: strangerJwk })
    .clientCredentials({ scope: 'tools/read', resource: RESOURCE_URI })
    .catch((e: unknown) => e);
  assert.ok(err instanceof OAuthClientError, String(err));
  assert.equal(err.error, 'invalid_client');
  assert.equal(err.status, 401);
});
