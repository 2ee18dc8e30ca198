/**
 * `GET /admin/federation/providers`: the configured upstream providers, read only, with their discovery (done at
 * start) and the time their signing keys were last fetched (at the first sign-in through them).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { federatedLogin, federationServer } from './setup.js';

interface Listed {
  id: string;
  display_name: string;
  issuer: string;
  client_id: string;
  scopes: string[];
  client_authentication: string;
  discovery: string;
  discovered_at: string | null;
  discovery_error: string | null;
  jwks_uri: string | null;
  last_jwks_fetch_at: string | null;
}

test('lists the configured providers with their discovery, and the JWKS fetch of the first sign-in', async (t) => {
  const fx = await federationServer(t);
  const read = async () => {
    const response = await fx.admin('/admin/federation/providers');
    assert.equal(response.status, 200);
    return (await response.json()) as { providers: Listed[]; local_login: boolean };
  };
  const before = await read();
  assert.equal(before.local_login, true);
  assert.deepEqual(before.providers.map((p) => [p.id, p.display_name, p.issuer]), [
    ['acme', 'Acme ID', fx.idps.acme.issuer],
    ['globex', 'Globex SSO', fx.idps.globex.issuer],
  ]);
  const acme = before.providers[0]!;
  assert.equal(acme.client_id, fx.idps.acme.clientId);
  assert.deepEqual(acme.scopes, ['openid', 'email', 'profile', 'groups']);
  assert.equal(acme.client_authentication, 'client_secret_basic');
  assert.equal(acme.discovery, 'ok');
  assert.ok(acme.discovered_at && !Number.isNaN(Date.parse(acme.discovered_at)));
  assert.equal(acme.discovery_error, null);
  assert.ok(acme.jwks_uri?.startsWith(fx.idps.acme.issuer), acme.jwks_uri ?? 'no jwks_uri');
  assert.equal(acme.last_jwks_fetch_at, null, 'no key is fetched before someone signs in');
  // Never a secret: the variable's value is nowhere in the answer.
  assert.ok(!JSON.stringify(before).includes(fx.idps.acme.secret));

  await federatedLogin(fx, new ScriptedBrowser(fx.url), 'acme', 'grace');
  const after = await read();
  assert.ok(after.providers[0]!.last_jwks_fetch_at, 'the sign-in fetched acme keys');
  assert.equal(after.providers[1]!.last_jwks_fetch_at, null, 'globex was not used');

  const unauthenticated = await fetch(`${fx.adminUrl}/admin/federation/providers`, { signal: AbortSignal.timeout(30_000) });
  assert.equal(unauthenticated.status, 401);
});
