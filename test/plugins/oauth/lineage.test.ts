/**
 * Issuance lineage (issue 19): every access token records the grant it rests on and the token it was derived
 * from, and revoking a consent, a refresh family or a single token revokes, transitively, every token exchanged
 * from it — as introspection sees it. Derived tokens come from a fixture exchange grant (the real token exchange
 * is another plugin); the chains are three generations deep.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { introspection, issuances, revocation } from 'authplane/plugins';
import { requirePostgres } from '../../helpers/postgres.js';
import { EXCHANGE_GRANT, exchangeGrant } from '../../fixtures/plugins/exchange-grant.js';
import { getCode, redeem, refresh } from './flow.js';
import { oauthServer, type OAuthFixture } from './setup.js';

type Client = { client_id: string; client_secret: string };

/** POSTs a form to an OAuth endpoint as `client` (client_secret_post). */
function postForm(url: string, path: string, body: Record<string, string>, client: Client): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...body, ...client }),
  });
}

async function introspect(url: string, client: Client, token: string, hint?: string): Promise<Record<string, unknown>> {
  const response = await postForm(url, '/oauth/introspect', { token, ...(hint ? { token_type_hint: hint } : {}) }, client);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

async function lineageServer(t: TestContext, storage: 'sqlite' | 'postgres') {
  return oauthServer(t, {
    storage,
    env: { AUTHPLANE_OAUTH_REFRESH_REUSE_GRACE: '0' },
    extra: [introspection(), revocation(), issuances(), exchangeGrant()],
  });
}

/** A confidential client (client_secret_post) that may exchange tokens, and refresh when `refreshes`. */
async function confidentialClient(fx: OAuthFixture, refreshes: boolean): Promise<Client> {
  return (await fx.createClient({
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', ...(refreshes ? ['refresh_token'] : []), EXCHANGE_GRANT],
  })) as Client;
}

/** Authorization code flow for the fixture's user: the token response. */
async function userTokens(fx: OAuthFixture, client: Client) {
  const { code, verifier } = await getCode(fx, { client_id: client.client_id, scope: 'tools/read' });
  const response = await redeem(fx, code, verifier, { client_id: client.client_id, client_secret: client.client_secret });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as { access_token: string; refresh_token?: string };
}

async function exchange(fx: OAuthFixture, client: Client, subjectToken: string): Promise<string> {
  const response = await postForm(fx.url, '/oauth/token', { grant_type: EXCHANGE_GRANT, subject_token: subjectToken }, client);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token as string;
}

/** A token and two generations exchanged from it: [source, child, grandchild]. */
async function chain(fx: OAuthFixture, client: Client, source: string): Promise<string[]> {
  const child = await exchange(fx, client, source);
  return [source, child, await exchange(fx, client, child)];
}

async function activeOf(fx: OAuthFixture, client: Client, tokens: string[]): Promise<boolean[]> {
  return Promise.all(tokens.map(async (token) => (await introspect(fx.url, client, token, 'access_token')).active as boolean));
}

const jtiOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;

for (const storage of ['sqlite', 'postgres'] as const) {
  test(`revoking a consent revokes every token exchanged from its tokens, three generations deep, and nothing else (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const fx = await lineageServer(t, storage);
    // Without refresh the token rests on the consent itself; with refresh, on the consent's family.
    const direct = await confidentialClient(fx, false);
    const refreshing = await confidentialClient(fx, true);
    const other = await confidentialClient(fx, false);
    const onConsent = await chain(fx, direct, (await userTokens(fx, direct)).access_token);
    const onFamily = await chain(fx, refreshing, (await userTokens(fx, refreshing)).access_token);
    const unrelated = await chain(fx, other, (await userTokens(fx, other)).access_token);
    assert.deepEqual(await activeOf(fx, direct, onConsent), [true, true, true]);

    const grandchild = await (await fx.admin(`/admin/issuances/${jtiOf(onConsent[2]!)}`)).json();
    assert.equal(grandchild.parent_jti, jtiOf(onConsent[1]!));
    const source = await (await fx.admin(`/admin/issuances/${jtiOf(onConsent[0]!)}`)).json();
    assert.match(source.grant_ref, /^consent:/);
    assert.equal(grandchild.grant_ref, source.grant_ref, 'a derived token inherits the grant its parent rests on');

    const grants = await (await fx.admin(`/admin/users/${fx.userId}/grants`)).json();
    const consentOf = (client: Client) => grants.consents.find((c: { client_id: string }) => c.client_id === client.client_id).id as string;
    for (const client of [direct, refreshing]) {
      assert.equal((await fx.admin(`/admin/grants/consent/${consentOf(client)}`, { method: 'DELETE' })).status, 204);
    }
    assert.deepEqual(await activeOf(fx, direct, onConsent), [false, false, false], 'the consent and everything exchanged from it');
    assert.deepEqual(await activeOf(fx, refreshing, onFamily), [false, false, false], 'the consent’s family and everything exchanged from it');
    assert.deepEqual(await activeOf(fx, other, unrelated), [true, true, true], 'another consent’s tokens live on');
    const audit = await (await fx.admin('/admin/audit?action=consent_revoked')).json();
    assert.deepEqual(audit.events.map((e: { detail: { access_tokens: number } }) => e.detail.access_tokens).sort(), [3, 3]);
  });

  test(`refresh token reuse revokes its family's access tokens and every token exchanged from them (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const fx = await lineageServer(t, storage);
    const client = await confidentialClient(fx, true);
    const first = await userTokens(fx, client);
    const family = await chain(fx, client, first.access_token);
    const rotated = await refresh(fx, first.refresh_token!, { client_id: client.client_id, client_secret: client.client_secret });
    assert.equal(rotated.status, 200);
    const second = await chain(fx, client, (await rotated.json()).access_token);
    const otherFamily = await chain(fx, client, (await userTokens(fx, client)).access_token);

    const reuse = await refresh(fx, first.refresh_token!, { client_id: client.client_id, client_secret: client.client_secret });
    assert.equal(reuse.status, 400);
    assert.deepEqual(await activeOf(fx, client, [...family, ...second]), [false, false, false, false, false, false]);
    assert.deepEqual(await activeOf(fx, client, otherFamily), [true, true, true], 'another family of the same client lives on');
  });

  test(`revoking one access token revokes the tokens derived from it, not the token it came from (${storage})`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    const fx = await lineageServer(t, storage);
    const client = await confidentialClient(fx, false);
    const tokens = await chain(fx, client, (await userTokens(fx, client)).access_token);
    const great = await exchange(fx, client, tokens[2]!);
    const revoked = await postForm(fx.url, '/oauth/revoke', { token: tokens[1]!, token_type_hint: 'access_token' }, client);
    assert.equal(revoked.status, 200);
    assert.deepEqual(await activeOf(fx, client, [...tokens, great]), [true, false, false, false]);

    // The admin API's revocation cascades the same way.
    const admin = await chain(fx, client, (await userTokens(fx, client)).access_token);
    assert.equal((await fx.admin(`/admin/issuances/${jtiOf(admin[0]!)}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual(await activeOf(fx, client, admin), [false, false, false]);
    assert.equal((await activeOf(fx, client, [tokens[0]!]))[0], true, 'the first chain is left as it was');
  });
}

test('an active derived token shows its act chain at introspection', async (t) => {
  const fx = await lineageServer(t, 'sqlite');
  const client = await confidentialClient(fx, false);
  const [source, child, grandchild] = await chain(fx, client, (await userTokens(fx, client)).access_token);
  const info = await introspect(fx.url, client, grandchild!, 'access_token');
  assert.equal(info.active, true);
  assert.deepEqual(info.act, { sub: client.client_id, act: { sub: client.client_id } });
  assert.deepEqual((await introspect(fx.url, client, child!)).act, { sub: client.client_id });
  assert.equal((await introspect(fx.url, client, source!)).act, undefined, 'a token nobody exchanged has no act');
});
