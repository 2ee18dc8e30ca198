/**
 * The OAuth client's `private_key_jwt` (RFC 7523 §2.2) against oidc-provider, a real authorization server that
 * supports it, so the assertion is proven against a second server besides AuthPlane (private-key-jwt-authplane.test.ts).
 * Every call the client makes authenticates with the assertion: client credentials, introspection, revocation.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { CLIENT_ASSERTION_TYPE, createOAuthClient, OAuthClientError } from '@authplane/sdk';
import { recordingFetch } from './fixture.js';
import { testClock } from '../helpers/clock.js';

async function keyPair(alg: 'ES256' | 'RS256' | 'EdDSA', kid: string): Promise<{ privateJwk: JWK; publicJwk: JWK; privateKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, privateJwk: { ...(await exportJWK(privateKey)), kid }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** oidc-provider on loopback with one client authenticating with private_key_jwt for `publicJwks`. */
async function startProvider(t: TestContext, publicJwks: JWK[]): Promise<string> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); }));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'mcp-server',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: publicJwks },
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api:read api:write',
      },
    ],
    cookies: { keys: [randomBytes(16).toString('hex')] },
    features: { clientCredentials: { enabled: true }, introspection: { enabled: true }, revocation: { enabled: true }, devInteractions: { enabled: false } },
    scopes: ['api:read', 'api:write'],
    ttl: { ClientCredentials: 600 },
  });
  http.on('request', provider.callback());
  return issuer;
}

test('private_key_jwt: client credentials, introspection and revocation authenticate with an assertion signed by the client key', async (t) => {
  const ec = await keyPair('ES256', 'ec-1');
  const ed = await keyPair('EdDSA', 'ed-1');
  const issuer = await startProvider(t, [ec.publicJwk, ed.publicJwk]);
  const clock = testClock();
  const recorded = recordingFetch();
  const sent: URLSearchParams[] = [];
  const client = createOAuthClient({
    issuer,
    clientId: 'mcp-server',
    privateKey: ec.privateJwk,
    now: clock.now,
    fetch: async (input, init) => {
      if (init?.body instanceof URLSearchParams) sent.push(new URLSearchParams(init.body));
      return recorded.fetch(input, init);
    },
  });

  const before = Math.floor(clock.now() / 1000);
  const issued = await client.clientCredentials({ scope: 'api:read' });
  const after = Math.floor(clock.now() / 1000);
  assert.equal(issued.token_type, 'Bearer');
  assert.equal(issued.scope, 'api:read');
  assert.deepEqual(recorded.urls.slice(0, 2), [`${issuer}/.well-known/oauth-authorization-server`, `${issuer}/token`], 'endpoints from the RFC 8414 metadata');

  const form = sent[0]!;
  assert.equal(form.get('client_id'), 'mcp-server');
  assert.equal(form.get('client_assertion_type'), CLIENT_ASSERTION_TYPE);
  const assertion = form.get('client_assertion')!;
  assert.deepEqual(decodeProtectedHeader(assertion), { alg: 'ES256', typ: 'JWT', kid: 'ec-1' });
  const claims = decodeJwt(assertion);
  assert.equal(claims.iss, 'mcp-server');
  assert.equal(claims.sub, 'mcp-server');
  assert.equal(claims.aud, issuer);
  assert.equal(typeof claims.jti, 'string');
  assert.equal(claims.exp! - claims.iat!, 60);
  // The clock runs in real time: the assertion was made at some second of the call.
  assert.ok(claims.iat! >= before && claims.iat! <= after, `iat ${claims.iat} from the injected clock, within [${before}, ${after}]`);

  const active = await client.introspect(issued.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, 'mcp-server');
  assert.notEqual(sent[1]!.get('client_assertion'), assertion, 'a fresh assertion (new jti) per call');
  await client.revoke(issued.access_token, { tokenTypeHint: 'access_token' });
  assert.equal((await client.introspect(issued.access_token)).active, false);

  // Another registered key, as a CryptoKey: the algorithm comes from the key itself.
  const withEd = createOAuthClient({ issuer, clientId: 'mcp-server', privateKey: ed.privateKey, keyId: 'ed-1' });
  assert.equal((await withEd.clientCredentials({ scope: 'api:write' })).scope, 'api:write');
});

test('private_key_jwt refusals: a key the server does not know is invalid_client; a public JWK or a secret algorithm is refused before sending', async (t) => {
  const registered = await keyPair('ES256', 'registered');
  const stranger = await keyPair('ES256', 'registered');
  const issuer = await startProvider(t, [registered.publicJwk]);
  const err = await createOAuthClient({ issuer, clientId: 'mcp-server', privateKey: stranger.privateJwk })
    .clientCredentials({ scope: 'api:read' })
    .catch((e: unknown) => e);
  assert.ok(err instanceof OAuthClientError, String(err));
  assert.equal(err.error, 'invalid_client');
  assert.equal(err.status, 401);

  await assert.rejects(createOAuthClient({ issuer, clientId: 'mcp-server', privateKey: registered.publicJwk }).clientCredentials(), /the JWK is a public key/);
  await assert.rejects(
    createOAuthClient({ issuer, clientId: 'mcp-server', privateKey: registered.privateJwk, signingAlg: 'HS256' }).clientCredentials(),
    /needs an asymmetric algorithm, not HS256/,
  );
  assert.throws(() => createOAuthClient({ issuer, clientId: 'mcp-server', authMethod: 'private_key_jwt' }), /private_key_jwt needs a privateKey/);
});
