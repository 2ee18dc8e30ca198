/**
 * Workload identity: a Kubernetes-shaped service-account token from a trusted issuer marked for workloads is the
 * client assertion of the client its workload rules map it to; no secret is stored anywhere.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { decodeJwt } from 'jose';
import { waitFor } from '../../helpers/wait.js';
import { CLIENT_ASSERTION_TYPE, expectError, jwtServer, startIssuer, type LoopbackIssuer } from './setup.js';

const SUBJECT = 'system:serviceaccount:agents:indexer';

/** A projected service-account token as the kubelet mounts it (reused until renewed, so no jti single use). */
function serviceAccountToken(cluster: LoopbackIssuer, aud: string, namespace = 'agents', extra: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return cluster.sign({
    sub: SUBJECT,
    aud: [aud],
    exp: now + 3600,
    nbf: now,
    'kubernetes.io': { namespace, serviceaccount: { name: 'indexer', uid: '5b1f0c3e-0000-4000-8000-000000000001' }, pod: { name: 'indexer-7d9f', uid: 'p1' } },
    ...extra,
  });
}

async function workloadScene(t: TestContext) {
  const fx = await jwtServer(t);
  const cluster = await startIssuer(t);
  const issuer = (await (await fetch(`${fx.url}/.well-known/oauth-authorization-server`)).json()).issuer as string;
  const client = await fx.createClient({
    client_name: 'Indexer',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    scope: 'tools/read',
  });
  const idp = await fx.trust({ name: 'cluster', issuer: cluster.issuer, workload: true });
  const rule = await fx.admin(`/admin/idps/${idp.id}/workload-rules`, {
    method: 'POST',
    body: JSON.stringify({ subject: SUBJECT, claims: { 'kubernetes.io.namespace': 'agents' }, client_id: client.client_id }),
  });
  assert.equal(rule.status, 201, JSON.stringify(await rule.clone().json()));
  const request = (token: string, clientId = client.client_id) =>
    fx.post({ grant_type: 'client_credentials', client_id: clientId, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: token });
  return { fx, cluster, issuer, client, idp, request };
}

test('a service-account token mapped by a workload rule authenticates its client, again and again', async (t) => {
  const s = await workloadScene(t);
  const token = await serviceAccountToken(s.cluster, s.issuer);
  for (let i = 0; i < 2; i++) {
    const response = await s.request(token);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.access_token).sub, s.client.client_id);
  }
  // Each authentication is a use of the client (batched last_used_at writes), as for secret-based clients.
  const stored = await waitFor('last_used_at recorded', async () => {
    const client = await (await s.fx.admin(`/admin/clients/${s.client.client_id}`)).json();
    return client.last_used_at ? client : undefined;
  });
  assert.equal(stored.client_secret, undefined);
  assert.equal(stored.jwks, null);
  assert.equal(stored.jwks_uri, null);
});

test('a token of another namespace, another audience, an unmarked or disabled issuer, or another client is refused', async (t) => {
  const s = await workloadScene(t);
  await expectError(await s.request(await serviceAccountToken(s.cluster, s.issuer, 'default')), 'invalid_client', 401);
  await expectError(await s.request(await serviceAccountToken(s.cluster, 'https://vault.example.com')), 'invalid_client', 401);
  const other = await s.fx.createClient({ client_name: 'Other', redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', scope: 'tools/read' });
  await expectError(await s.request(await serviceAccountToken(s.cluster, s.issuer), other.client_id), 'invalid_client', 401);
  // Without client_id the server cannot tell which client the platform token is for.
  const missing = await s.fx.post({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await serviceAccountToken(s.cluster, s.issuer) });
  assert.match(await expectError(missing, 'invalid_client', 401), /client_id is required/);
  const unmark = await s.fx.admin(`/admin/idps/${s.idp.id}`, { method: 'PATCH', body: JSON.stringify({ workload: false }) });
  assert.equal(unmark.status, 200);
  await expectError(await s.request(await serviceAccountToken(s.cluster, s.issuer)), 'invalid_client', 401);
  const metrics = await (await s.fx.admin('/metrics')).text();
  assert.match(metrics, /authplane_xaa_client_assertions_rejected_total\{reason="untrusted_issuer"\} 1/);
  assert.match(metrics, /authplane_xaa_client_assertions_rejected_total\{reason="no_workload_rule"\} 2/);
  assert.match(metrics, /authplane_xaa_client_assertions_rejected_total\{reason="wrong_audience"\} 1/);
});

test('workload rules are listed and deleted, and only issuers marked for workloads take them', async (t) => {
  const s = await workloadScene(t);
  const listed = (await (await s.fx.admin(`/admin/idps/cluster/workload-rules`)).json()) as { rules: { id: string }[] };
  assert.equal(listed.rules.length, 1);
  const deleted = await s.fx.admin(`/admin/idps/cluster/workload-rules/${listed.rules[0]!.id}`, { method: 'DELETE' });
  assert.equal(deleted.status, 204);
  await expectError(await s.request(await serviceAccountToken(s.cluster, s.issuer)), 'invalid_client', 401);
  const idp = await s.fx.trust({ name: 'enterprise', issuer: 'https://idp.example.com' });
  const refused = await s.fx.admin(`/admin/idps/${idp.id}/workload-rules`, { method: 'POST', body: JSON.stringify({ subject: 'x', client_id: s.client.client_id }) });
  assert.equal(refused.status, 409);
});
