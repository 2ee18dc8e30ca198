/**
 * Refresh rotation where it touches storage: what a used token records about its use (fixed length, so any scope and
 * a DPoP thumbprint fit every database), and the grace window handing one successor to every retry. Each test runs
 * on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { decodeJwt } from 'jose';
import { dpop, issuances } from 'authplane/plugins';
import { requirePostgres } from '../../helpers/postgres.js';
import { handProof, proofKey, type ProofKey } from '../dpop/setup.js';
import { getCode, redeem, refresh, tokenRequest } from './flow.js';
import { oauthServer, REDIRECT_URI, type OAuthFixture } from './setup.js';

const STORAGES = ['sqlite', 'postgres'] as const;
type Storage = (typeof STORAGES)[number];

async function server(t: TestContext, storage: Storage, grace = 30): Promise<OAuthFixture | undefined> {
  if (storage === 'postgres' && !(await requirePostgres(t))) return undefined;
  return oauthServer(t, {
    storage,
    env: { AUTHPLANE_OAUTH_REFRESH_REUSE_GRACE: String(grace) },
    extra: [dpop(), issuances()],
  });
}

/** A token request carrying a fresh DPoP proof made with `key`. */
async function withProof(fx: OAuthFixture, key: ProofKey, body: Record<string, string>) {
  return tokenRequest(fx, body, { dpop: await handProof(key, `${fx.url}/oauth/token`) });
}

async function ok(response: Response) {
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

for (const storage of STORAGES) {
  test(`a DPoP-bound refresh with scope "tools/read tools/write" succeeds on ${storage}`, async (t) => {
    const fx = await server(t, storage);
    if (!fx) return;
    const key = await proofKey();
    const { code, verifier } = await getCode(fx, { scope: 'tools/read tools/write' });
    const first = await ok(
      await withProof(fx, key, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: fx.clientId }),
    );
    assert.equal(first.token_type, 'DPoP');
    const body = { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: fx.clientId, scope: 'tools/read tools/write' };
    const second = await ok(await withProof(fx, key, body));
    assert.deepEqual(decodeJwt(second.access_token).cnf, { jkt: key.jkt });
    const third = await ok(await withProof(fx, key, { ...body, refresh_token: second.refresh_token }));
    assert.notEqual(third.refresh_token, second.refresh_token);
  });

  test(`a refresh whose scope parameter is 64 characters or longer succeeds on ${storage}`, async (t) => {
    const fx = await server(t, storage);
    if (!fx) return;
    const { code, verifier } = await getCode(fx, { scope: 'tools/read tools/write' });
    const first = await ok(await redeem(fx, code, verifier));
    // Repeated and padded scope tokens are one request for the same two scopes.
    const scope = `${'tools/read '.repeat(6)}  tools/write`;
    assert.ok(scope.length >= 64);
    const second = await ok(await refresh(fx, first.refresh_token, { scope }));
    assert.equal(second.scope, 'tools/read tools/write');
    const retry = await ok(await refresh(fx, first.refresh_token, { scope }));
    assert.equal(retry.refresh_token, second.refresh_token, 'the retry inside the grace window is the same request');
  });

  test(`10 parallel uses of one refresh token inside the grace window get one successor, and its reuse later revokes the family on ${storage}`, async (t) => {
    const fx = await server(t, storage);
    if (!fx) return;
    const { code, verifier } = await getCode(fx, { scope: 'tools/read tools/write' });
    const first = await ok(await redeem(fx, code, verifier));
    const family = (await fx.server.db('refresh_tokens').where({ access_jti: decodeJwt(first.access_token).jti }).first()).family_id;

    const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(fx, first.refresh_token).then(ok)));
    const successors = new Set(answers.map((a) => a.refresh_token));
    assert.equal(successors.size, 1, 'every use inside the window gets the same successor');
    const [successor] = [...successors] as [string];
    assert.notEqual(successor, first.refresh_token);
    assert.equal(new Set(answers.map((a) => a.access_token)).size, 10, 'each use gets an access token of its own');

    // The family holds the first token and exactly one successor that can be presented.
    const live = await fx.server.db('refresh_tokens').where({ family_id: family }).whereNull('consumed_at');
    assert.equal(live.length, 1);

    // The holder rotates on; the same successor presented after the window (the other party) is reuse.
    const next = await ok(await refresh(fx, successor));
    await fx.server.db('refresh_tokens').where({ family_id: family }).whereNotNull('consumed_at').update({ consumed_at: Date.now() - 31_000 });
    const reuse = await refresh(fx, successor);
    assert.equal(reuse.status, 400);
    assert.equal((await reuse.json()).error, 'invalid_grant');
    assert.equal((await refresh(fx, next.refresh_token)).status, 400, 'the family is revoked');

    // Every access token the family gave out, the ten of the window included, is denylisted.
    for (const body of [first, ...answers, next]) {
      const jti = decodeJwt(body.access_token).jti;
      const issuance = await (await fx.admin(`/admin/issuances/${jti}`)).json();
      assert.equal(issuance.status, 'revoked', `${jti}: ${JSON.stringify(issuance)}`);
    }
  });

  test(`inside the grace window a different request with the used token revokes the family on ${storage}`, async (t) => {
    const fx = await server(t, storage);
    if (!fx) return;
    const { code, verifier } = await getCode(fx, { scope: 'tools/read tools/write' });
    const first = await ok(await redeem(fx, code, verifier));
    const second = await ok(await refresh(fx, first.refresh_token));
    const narrower = await refresh(fx, first.refresh_token, { scope: 'tools/read' });
    assert.equal(narrower.status, 400);
    assert.equal((await narrower.json()).error, 'invalid_grant');
    assert.equal((await refresh(fx, second.refresh_token)).status, 400, 'the family is revoked');
  });
}
