/** The client_credentials happy path, run on SQLite (grant.test.ts) and PostgreSQL (postgres.test.ts). */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { auditEvent, decodeJwt, machineServer, machineToken, RESOURCE_URI } from './setup.js';

export async function machineTokenScenario(t: TestContext, storage: 'sqlite' | 'postgres'): Promise<void> {
  const fx = await machineServer(t, { storage });
  const client = await fx.createMachineClient();

  const response = await fetch(`${fx.url}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'tools/read', resource: RESOURCE_URI }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 3600, 'the default lifetime is one hour');
  assert.equal(body.scope, 'tools/read');
  assert.equal(body.refresh_token, undefined, 'RFC 6749 §4.4.3: no refresh token');

  // The token verifies against the published JWKS as an RFC 9068 access token for the resource.
  const jwks = createLocalJWKSet(await (await fetch(`${fx.url}/.well-known/jwks.json`)).json());
  const issuer = fx.server.config.server.issuer;
  const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, { issuer, audience: RESOURCE_URI, typ: 'at+jwt' });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, client.client_id, 'a machine token is about the client itself');
  assert.equal(payload.client_id, client.client_id);
  assert.deepEqual(payload.aud, [RESOURCE_URI]);
  assert.equal(payload.scope, 'tools/read');
  assert.equal(payload.exp! - payload.iat!, 3600);

  // The issuance row is durable by the time the response arrived: read it at once, no waiting.
  const jti = decodeJwt(body.access_token).claims.jti as string;
  const row = await fx.server.db('token_issuances').where({ jti }).first();
  assert.ok(row, 'the issuance row exists when the response is received');
  assert.equal(row.grant_type, 'client_credentials');
  assert.equal(row.subject, client.client_id);
  assert.equal(row.client_id, client.client_id);
  assert.deepEqual(JSON.parse(row.audience), [RESOURCE_URI]);
  assert.equal(Number(row.expires_at) - Number(row.issued_at), 3_600_000);

  // A burst of concurrent requests: every one answered, every one recorded (the inserts share transactions).
  const burst = await Promise.all(Array.from({ length: 40 }, () => machineToken(fx.url, client, { resource: RESOURCE_URI })));
  const jtis = burst.map((b) => decodeJwt(b.access_token).claims.jti as string);
  assert.equal(new Set(jtis).size, 40);
  const recorded = await fx.server.db('token_issuances').whereIn('jti', jtis).count({ n: '*' });
  assert.equal(Number(recorded[0]!.n), 40);

  const event = await auditEvent(fx, 'token_issued', (e) => e.detail.jti === jti);
  assert.equal(event.detail.grant_type, 'client_credentials');
  assert.equal(event.client_id, client.client_id);
  assert.deepEqual(event.detail.audience, [RESOURCE_URI]);

  const discovery = await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json();
  assert.ok(discovery.grant_types_supported.includes('client_credentials'));
}
