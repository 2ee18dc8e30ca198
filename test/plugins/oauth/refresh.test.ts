import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getCode, redeem, refresh } from './flow.js';
import { oauthServer, RESOURCE_URI } from './setup.js';

async function firstTokens(fx: Awaited<ReturnType<typeof oauthServer>>, scope = 'tools/read tools/write') {
  const { code, verifier } = await getCode(fx, { scope });
  const response = await redeem(fx, code, verifier);
  assert.equal(response.status, 200);
  return response.json();
}

test('refresh rotates; presenting a used refresh token after the grace window revokes the whole family', async (t) => {
  const fx = await oauthServer(t, { env: { AUTHPLANE_OAUTH_REFRESH_REUSE_GRACE: '0' } });
  const first = await firstTokens(fx);
  const second = await (await refresh(fx, first.refresh_token)).json();
  assert.ok(second.refresh_token && second.refresh_token !== first.refresh_token);
  const reuse = await refresh(fx, first.refresh_token);
  assert.equal(reuse.status, 400);
  assert.equal((await reuse.json()).error, 'invalid_grant');
  const killed = await refresh(fx, second.refresh_token);
  assert.equal(killed.status, 400, 'the successor died with its family');
  const metrics = await (await fetch(`${fx.adminUrl}/metrics`)).text();
  assert.match(metrics, /authserver_refresh_token_reuse_total 1/);
  const audit = await (await fx.admin('/admin/audit?action=token_revoked')).json();
  assert.equal(audit.events[0].detail.reason, 'refresh_reuse');
});

test('inside the grace window the same client repeating the same request gets the same refresh token again', async (t) => {
  const fx = await oauthServer(t, { env: { AUTHPLANE_OAUTH_REFRESH_REUSE_GRACE: '30' } });
  const first = await firstTokens(fx);
  const a = await refresh(fx, first.refresh_token);
  const b = await refresh(fx, first.refresh_token);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200, 'the retry inside the grace window succeeds');
  const [pa, pb] = [await a.json(), await b.json()];
  assert.equal(pb.refresh_token, pa.refresh_token, 'one successor, not a second line of tokens');
  assert.notEqual(pb.access_token, pa.access_token);
  assert.equal((await refresh(fx, pa.refresh_token)).status, 200, 'the successor rotates on');
  const different = await refresh(fx, first.refresh_token, { scope: 'tools/read' });
  assert.equal(different.status, 400, 'a different request is reuse even inside the window');
});

test('a refresh naming another resource is invalid_target, repeats the value received and spends nothing', async (t) => {
  const fx = await oauthServer(t);
  const other = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'other-mcp', display_name: 'Other', uri: 'https://other.example.com/mcp', backend_kind: 'mint', scopes: [{ name: 'tools/read' }] }),
  });
  assert.equal(other.status, 201);
  const first = await firstTokens(fx);
  for (const resource of ['https://other.example.com/mcp', 'https://unknown.example.com/"x"']) {
    const response = await refresh(fx, first.refresh_token, { resource });
    const body = await response.json();
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.error, 'invalid_target');
    assert.match(body.error_description, /resource '.*' is not the resource this refresh token was issued for; send 'https:\/\/mcp\.example\.com\/mcp' or no resource/);
    assert.match(body.error_description, /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/, 'RFC 6749 §5.2 characters only');
  }
  const echoed = await (await refresh(fx, first.refresh_token, { resource: 'https://other.example.com/mcp' })).json();
  assert.match(echoed.error_description, /^resource 'https:\/\/other\.example\.com\/mcp' is not/);
  const quoted = await (await refresh(fx, first.refresh_token, { resource: 'https://unknown.example.com/"x"' })).json();
  assert.match(quoted.error_description, /'https:\/\/unknown\.example\.com\/%22x%22'/);
  const long = await (await refresh(fx, first.refresh_token, { resource: `https://x.example/${'a'.repeat(5000)}` })).json();
  assert.ok(long.error_description.length < 400, 'the echo is bounded');

  // The same resource, by URI or slug, is accepted, and the refused attempts did not spend the token.
  const same = await refresh(fx, first.refresh_token, { resource: 'example-mcp' });
  assert.equal(same.status, 200, await same.clone().text());
  const again = await refresh(fx, (await same.json()).refresh_token, { resource: RESOURCE_URI });
  assert.equal(again.status, 200);
});

test('scope on refresh only narrows, and the client ceiling is re-read on each refresh', async (t) => {
  const fx = await oauthServer(t);
  const first = await firstTokens(fx);
  assert.equal(first.scope, 'tools/read tools/write');
  const wider = await refresh(fx, first.refresh_token, { scope: 'tools/read tools/admin' });
  assert.equal((await wider.json()).error, 'invalid_scope');
  const narrowed = await (await refresh(fx, first.refresh_token, { scope: 'tools/read' })).json();
  assert.equal(narrowed.scope, 'tools/read');

  const second = await firstTokens(fx);
  const patch = await fx.admin(`/admin/clients/${fx.clientId}`, { method: 'PATCH', body: JSON.stringify({ scope: 'tools/read' }) });
  assert.equal(patch.status, 200, await patch.clone().text());
  const reduced = await (await refresh(fx, second.refresh_token)).json();
  assert.equal(reduced.scope, 'tools/read', 'tools/write left the ceiling, so it left the token');
});

test('force-logout revokes refresh families; a disabled user cannot refresh; consent revocation ends its grants', async (t) => {
  const fx = await oauthServer(t);
  const tokens = await firstTokens(fx);
  const grants = await (await fx.admin(`/admin/users/${fx.userId}/grants`)).json();
  assert.equal(grants.consents.length, 1);
  assert.equal(grants.refresh_families.length, 1);
  const logout = await fx.admin(`/admin/users/${fx.userId}/tokens`, { method: 'DELETE' });
  assert.equal(logout.status, 200);
  assert.ok((await logout.json()).revoked >= 1);
  assert.equal((await refresh(fx, tokens.refresh_token)).status, 400);

  const again = await firstTokens(fx);
  const consentId = grants.consents[0].id;
  assert.equal((await fx.admin(`/admin/grants/consent/${consentId}`, { method: 'DELETE' })).status, 204);
  assert.equal((await refresh(fx, again.refresh_token)).status, 400);
  assert.equal((await fx.admin(`/admin/grants/consent/${consentId}`, { method: 'DELETE' })).status, 404);

  const third = await firstTokens(fx);
  assert.equal((await fx.admin(`/admin/users/${fx.userId}/disable`, { method: 'POST' })).status, 200);
  assert.equal((await refresh(fx, third.refresh_token)).status, 400);
});
