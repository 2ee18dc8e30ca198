/**
 * The jwt-bearer grant with ID-JAGs (draft-ietf-oauth-identity-assertion-authz-grant) from a real issuer on loopback:
 * the happy path, every refusal the issue lists, policies, subject modes, DPoP binding, audit and metrics.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { decodeJwt } from 'jose';
import { auditEvent } from '../client-credentials/setup.js';
import { handProof, proofKey } from '../dpop/setup.js';
import { expectError, JWT_BEARER, jwtServer, RESOURCE_URI, startIssuer, type JwtFixture, type LoopbackIssuer } from './setup.js';

interface Scene {
  fx: JwtFixture;
  idp: LoopbackIssuer;
  idpId: string;
  issuer: string;
  client: { client_id: string; client_secret: string };
  basic: Record<string, string>;
  idJag(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  grant(assertion: string, extra?: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
}

async function scene(t: TestContext, options: { policy?: Record<string, unknown> | false; subjectMode?: string } = {}): Promise<Scene> {
  const fx = await jwtServer(t);
  const idp = await startIssuer(t, '/tenant/');
  // The issuer is registered without jwks_uri: it is discovered from the issuer's OpenID metadata.
  const trusted = await fx.trust({ name: 'acme-idp', issuer: idp.issuer, subject_mode: options.subjectMode ?? 'auto_map' });
  const client = (await fx.createClient({
    client_name: 'Agent app',
    redirect_uris: [],
    grant_types: [JWT_BEARER],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'tools/read tools/write',
  })) as { client_id: string; client_secret: string };
  if (options.policy !== false) {
    const response = await fx.admin('/admin/xaa/policies', { method: 'POST', body: JSON.stringify({ idp: 'acme-idp', ...options.policy }) });
    assert.equal(response.status, 201, JSON.stringify(await response.clone().json()));
  }
  const issuer = (await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json()).issuer as string;
  const basic = { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` };
  return {
    fx,
    idp,
    idpId: trusted.id,
    issuer,
    client,
    basic,
    idJag: (claims = {}, header = {}) =>
      idp.sign({ sub: 'alice@acme', aud: issuer, client_id: client.client_id, resource: RESOURCE_URI, scope: 'tools/read tools/write', ...claims }, { typ: 'oauth-id-jag+jwt', ...header }),
    grant: (assertion, extra = {}, headers = {}) => fx.post({ grant_type: JWT_BEARER, assertion, ...extra }, { ...basic, ...headers }),
  };
}

test('an ID-JAG from a trusted issuer gets an access token for its user, acted by the IdP, without a refresh token', async (t) => {
  const s = await scene(t);
  const doc = await (await fetch(`${s.fx.url}/.well-known/oauth-authorization-server`)).json();
  assert.deepEqual(doc.authorization_grant_profiles_supported, ['urn:ietf:params:oauth:grant-profile:id-jag']);
  assert.ok(doc.grant_types_supported.includes(JWT_BEARER));

  const response = await s.grant(await s.idJag(), { scope: 'tools/read' });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.refresh_token, undefined);
  assert.equal(body.scope, 'tools/read');
  const claims = decodeJwt(body.access_token);
  assert.equal(claims.sub, `${s.idp.issuer}:alice@acme`);
  assert.deepEqual(claims.act, { sub: s.idp.issuer });
  assert.deepEqual(claims.aud, [RESOURCE_URI]);
  assert.equal(claims.client_id, s.client.client_id);
  const event = await auditEvent(s.fx, 'jwt_bearer_issued', () => true);
  assert.equal(event.detail.idp, 'acme-idp');
  assert.equal(event.detail.idp_subject, 'alice@acme');
  const metrics = await (await s.fx.admin('/metrics')).text();
  assert.match(metrics, /authplane_xaa_grants_total\{idp="acme-idp"\} 1/);
});

test('a wrong typ, aud, an expired or too old or replayed assertion, a disabled or unknown issuer are invalid_grant', async (t) => {
  const s = await scene(t);
  const now = Math.floor(Date.now() / 1000);
  const replayed = await s.idJag();
  assert.equal((await s.grant(replayed)).status, 200);
  const cases: [string, () => Promise<string>][] = [
    ['wrong_typ', () => s.idJag({}, { typ: 'JWT' })],
    ['wrong_audience', () => s.idJag({ aud: 'https://other-as.example.com' })],
    ['expired', () => s.idJag({ iat: now - 600, exp: now - 300 })],
    ['too_old', () => s.idJag({ iat: now - 3600, exp: now + 60 })],
    ['replayed', async () => replayed],
    ['malformed', async () => 'not-a-jwt'],
  ];
  for (const [reason, make] of cases) {
    await expectError(await s.grant(await make()), 'invalid_grant').catch((err) => {
      throw new Error(`${reason}: ${err.message}`);
    });
    const event = await auditEvent(s.fx, 'jwt_bearer_denied', (e) => e.detail.reason === reason);
    assert.equal(event.client_id, s.client.client_id, reason);
  }
  const stranger = await startIssuer(t);
  await expectError(await s.grant(await stranger.sign({ sub: 'x', aud: s.issuer, client_id: s.client.client_id }, { typ: 'oauth-id-jag+jwt' })), 'invalid_grant');
  await auditEvent(s.fx, 'jwt_bearer_denied', (e) => e.detail.reason === 'untrusted_issuer');

  const disabled = await s.fx.admin(`/admin/idps/${s.idpId}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
  assert.equal(disabled.status, 200);
  await expectError(await s.grant(await s.idJag()), 'invalid_grant');
  await auditEvent(s.fx, 'jwt_bearer_denied', (e) => e.detail.reason === 'issuer_disabled');
  const metrics = await (await s.fx.admin('/metrics')).text();
  assert.match(metrics, /authplane_xaa_grants_denied_total\{reason="replayed"\} 1/);
});

test('a key rotated at the IdP is fetched on its unknown kid; a key it never published stays refused', async (t) => {
  const s = await scene(t);
  assert.equal((await s.grant(await s.idJag())).status, 200);
  const before = s.idp.jwksFetches;
  await s.idp.rotate();
  const rotated = await s.grant(await s.idJag());
  assert.equal(rotated.status, 200, JSON.stringify(await rotated.clone().json()));
  assert.equal(s.idp.jwksFetches, before + 1);
  const { signingKey } = await import('./setup.js');
  const rogue = await signingKey();
  await expectError(await s.grant(await s.idp.sign({ sub: 'alice@acme', aud: s.issuer, client_id: s.client.client_id }, { typ: 'oauth-id-jag+jwt' }, rogue)), 'invalid_grant');
  await auditEvent(s.fx, 'jwt_bearer_denied', (e) => e.detail.reason === 'unknown_kid');
  // The force-refresh endpoint fetches at once.
  const refreshed = await s.fx.admin(`/admin/idps/${s.idpId}/refresh`, { method: 'POST' });
  assert.deepEqual(await refreshed.json(), { jwks_uri: `${new URL(s.idp.issuer).origin}/tenant/keys`, keys: 1 });
});

test('an ID-JAG minted for another client is invalid_client, and the client must authenticate', async (t) => {
  const s = await scene(t);
  await expectError(await s.grant(await s.idJag({ client_id: 'someone-else' })), 'invalid_client', 401);
  await auditEvent(s.fx, 'jwt_bearer_denied', (e) => e.detail.reason === 'client_mismatch');
  const anonymous = await s.fx.post({ grant_type: JWT_BEARER, assertion: await s.idJag(), client_id: s.client.client_id });
  assert.equal(anonymous.status, 401);
});

test('without a matching policy the grant is access_denied; policies narrow clients, resources and scopes', async (t) => {
  const none = await scene(t, { policy: false });
  await expectError(await none.grant(await none.idJag()), 'access_denied', 403);
  await auditEvent(none.fx, 'jwt_bearer_denied', (e) => e.detail.reason === 'policy_denied');

  const s = await scene(t, { policy: { client_ids: ['another-client'] } });
  await expectError(await s.grant(await s.idJag()), 'access_denied', 403);
  const created = await s.fx.admin('/admin/xaa/policies', {
    method: 'POST',
    body: JSON.stringify({ idp: s.idpId, client_ids: [s.client.client_id], resources: [RESOURCE_URI], scopes: ['tools/read'] }),
  });
  assert.equal(created.status, 201);
  const body = await (await s.grant(await s.idJag())).json();
  assert.equal(body.scope, 'tools/read', 'policy ∩ assertion ∩ ceiling');
  await expectError(await s.grant(await s.idJag({ scope: 'tools/write' })), 'invalid_scope');
  const policy = (await created.json()) as { id: string };
  const off = await s.fx.admin(`/admin/xaa/policies/${policy.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
  assert.equal(off.status, 200);
  await expectError(await s.grant(await s.idJag()), 'access_denied', 403);
  const bad = await s.fx.admin('/admin/xaa/policies', { method: 'POST', body: JSON.stringify({ idp: 'no-such-idp' }) });
  assert.equal(bad.status, 400);
});

test('strict mode refuses an unmapped user and uses the mapping once one exists; auto_map prefers a mapping too', async (t) => {
  const s = await scene(t, { subjectMode: 'strict' });
  await expectError(await s.grant(await s.idJag()), 'access_denied', 403);
  await auditEvent(s.fx, 'jwt_bearer_denied', (e) => e.detail.reason === 'subject_not_mapped');
  const mapped = await s.fx.admin('/admin/xaa/subject-mappings', { method: 'POST', body: JSON.stringify({ idp: 'acme-idp', idp_subject: 'alice@acme', subject: s.fx.userId }) });
  assert.equal(mapped.status, 201);
  const duplicate = await s.fx.admin('/admin/xaa/subject-mappings', { method: 'POST', body: JSON.stringify({ idp: 'acme-idp', idp_subject: 'alice@acme', subject: 'x' }) });
  assert.equal(duplicate.status, 409);
  const body = await (await s.grant(await s.idJag())).json();
  assert.equal(decodeJwt(body.access_token).sub, s.fx.userId);
});

test('an ID-JAG token is bound to the DPoP key of the request', async (t) => {
  const s = await scene(t);
  const key = await proofKey();
  const response = await s.grant(await s.idJag(), {}, { dpop: await handProof(key, s.fx.tokenUrl) });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'DPoP');
  assert.deepEqual(decodeJwt(body.access_token).cnf, { jkt: key.jkt });
});
