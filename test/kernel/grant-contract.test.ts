/**
 * The grant contract (kernel/token/endpoint.ts): a grant decides subject, audience and scope and issues through
 * `ctx.issueAccessToken`; the kernel completes the token from the request (client, grant type, DPoP binding), writes
 * the response, emits the audit event and counts the metric. A grant that answers with anything but the token its
 * context issued is a server error, and a grant whose tokens could outlive their key stops boot.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { AuthPlane, defineGrant, definePlugin, type IssuedAccessToken } from 'authplane';
import { clients, dpop, keystoreKeyfile, oauth, resources, storageSqlite, users } from 'authplane/plugins';
import { handProof, proofKey } from '../plugins/dpop/setup.js';
import { startServer, tempDir } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const GRANT = 'urn:test:contract';
const AUDIENCE = 'https://mcp.example.com/mcp';
const TOKEN_TTL = 120;

/**
 * A third-party grant that knows nothing of DPoP, refresh storage or audit: `mode` picks how it behaves, so the
 * kernel's reaction to a well-behaved and to a faulty grant can be driven over HTTP.
 */
function contractGrant(seen: { handled: number }) {
  return definePlugin({
    name: 'contract-grant',
    register(api) {
      api.registries.grantTypes.register(
        GRANT,
        defineGrant({
          requiredParams: ['subject'],
          tokenTtl: TOKEN_TTL,
          async handle(ctx) {
            seen.handled++;
            const mode = ctx.params.mode ?? 'normal';
            const issue = (ttl?: number) =>
              ctx.issueAccessToken({ subject: ctx.params.subject, audience: [AUDIENCE], scope: 'files:read files:write', ttl });
            if (mode === 'skip') {
              const fake: IssuedAccessToken = { token: 'x.y.z', jti: 'fake', kid: 'k', claims: {}, issuedAt: 0, expiresAt: 60 };
              return { accessToken: fake };
            }
            if (mode === 'copy') return { accessToken: { ...(await issue()) } };
            if (mode === 'twice') {
              await issue();
              return { accessToken: await issue() };
            }
            if (mode === 'too-long') return { accessToken: await issue(TOKEN_TTL + 1) };
            if (mode === 'clash') return { accessToken: await issue(), extra: { access_token: 'mine' } };
            if (mode === 'short') return { accessToken: await issue(30) };
            if (mode === 'refreshed') {
              return { accessToken: await issue(), audit: { action: 'token_refreshed', userId: ctx.params.subject } };
            }
            return {
              accessToken: await issue(),
              refreshToken: 'opaque-refresh',
              extra: { issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' },
              audit: { userId: ctx.params.subject, detail: { source: 'contract' } },
            };
          },
        }),
      );
    },
  });
}

async function setup(t: TestContext) {
  const seen = { handled: 0 };
  // exactIssuer: a DPoP proof's htu is checked against the issuer's origin.
  const srv = await startServer(t, { exactIssuer: true, plugins: [clients(), dpop(), contractGrant(seen)()] });
  const created = await srv.admin('/admin/clients', {
    method: 'POST',
    body: JSON.stringify({
      client_name: 'Contract',
      redirect_uris: [],
      grant_types: [GRANT],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'files:read files:write',
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { client_id, client_secret } = (await created.json()) as { client_id: string; client_secret: string };
  const tokenUrl = `${srv.url}/oauth/token`;
  const token = async (params: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
        ...headers,
      },
      body: new URLSearchParams({ grant_type: GRANT, ...params }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  return { srv, seen, clientId: client_id, tokenUrl, token };
}

const claimsOf = (jwt: unknown) => JSON.parse(Buffer.from(String(jwt).split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

test('a grant issuing through its context gets a DPoP-bound token when the request carries a proof, without a word about DPoP', async (t) => {
  const { srv, token, tokenUrl } = await setup(t);
  const key = await proofKey();
  const bound = await token({ subject: 'alice' }, { dpop: await handProof(key, tokenUrl) });
  assert.equal(bound.status, 200, JSON.stringify(bound.body));
  assert.equal(bound.body.token_type, 'DPoP');
  const claims = claimsOf(bound.body.access_token);
  assert.deepEqual(claims.cnf, { jkt: key.jkt });
  const row = await srv.server.db('token_issuances').where({ jti: claims.jti }).first();
  assert.equal(row.cnf_jkt, key.jkt, 'the issuance row records the binding');
  assert.equal(row.grant_type, GRANT, 'the kernel filled in the grant type');

  const bearer = await token({ subject: 'alice' });
  assert.equal(bearer.status, 200, JSON.stringify(bearer.body));
  assert.equal(bearer.body.token_type, 'Bearer');
  assert.equal(claimsOf(bearer.body.access_token).cnf, undefined);
});

test('the kernel writes the token response, the audit event and the metric from what the grant returned', async (t) => {
  const { srv, token, clientId } = await setup(t);
  const res = await token({ subject: 'alice' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(res.body), ['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token', 'issued_token_type']);
  assert.equal(res.body.token_type, 'Bearer');
  assert.equal(res.body.expires_in, TOKEN_TTL, 'the grant\'s tokenTtl is the default lifetime');
  assert.equal(res.body.scope, 'files:read files:write');
  assert.equal(res.body.refresh_token, 'opaque-refresh');
  assert.equal(res.body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  const claims = claimsOf(res.body.access_token);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.client_id, clientId, 'the kernel filled in the client');
  assert.deepEqual(claims.aud, [AUDIENCE]);
  assert.equal((claims.exp as number) - (claims.iat as number), TOKEN_TTL);

  const short = await token({ subject: 'bob', mode: 'short' });
  assert.equal(short.status, 200, JSON.stringify(short.body));
  assert.equal(short.body.expires_in, 30, 'a grant may shorten its lifetime');
  assert.deepEqual(Object.keys(short.body), ['access_token', 'token_type', 'expires_in', 'scope']);

  type Event = { action: string; actor_id: string; client_id: string; user_id: string | null; detail: Record<string, unknown> };
  const events = async (action: string) =>
    ((await (await srv.admin(`/admin/audit?action=${action}`)).json()) as { events: Event[] }).events;
  const issued = await waitFor('the token_issued event of alice', async () =>
    (await events('token_issued')).find((e) => e.detail.jti === claims.jti),
  );
  assert.equal(issued.actor_id, clientId);
  assert.equal(issued.client_id, clientId);
  assert.equal(issued.user_id, 'alice');
  assert.deepEqual(issued.detail, { grant_type: GRANT, jti: claims.jti, audience: [AUDIENCE], scope: 'files:read files:write', source: 'contract' });

  const refreshed = await token({ subject: 'carol', mode: 'refreshed' });
  const refreshedJti = claimsOf(refreshed.body.access_token).jti;
  const renamed = await waitFor('the token_refreshed event of carol', async () =>
    (await events('token_refreshed')).find((e) => e.detail.jti === refreshedJti),
  );
  assert.equal(renamed.user_id, 'carol', 'the grant names the action and the user; the kernel the rest');

  const metrics = await (await srv.admin('/metrics')).text();
  assert.match(metrics, new RegExp(`authserver_tokens_issued_total\\{grant_type="${GRANT}"\\} 3\\b`));
});

test('a missing required parameter is invalid_request before the grant runs', async (t) => {
  const { token, seen } = await setup(t);
  const res = await token({});
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid_request');
  assert.equal(res.body.error_description, 'subject is required');
  assert.equal(seen.handled, 0);
});

test('a grant answering with a token its context did not issue, or misusing its context, is a server error and never a response', async (t) => {
  const { srv, token } = await setup(t);
  const cases: [mode: string, logged: RegExp][] = [
    ['skip', /without calling ctx\.issueAccessToken/],
    ['copy', /an accessToken other than the one ctx\.issueAccessToken issued/],
    ['twice', /called ctx\.issueAccessToken twice/],
    ['too-long', /asked for ttl 121s; its tokenTtl allows 1\.\.120s/],
    ['clash', /set 'access_token' in extra/],
  ];
  for (const [mode, logged] of cases) {
    const before = srv.logs.length;
    const res = await token({ subject: 'mallory', mode });
    assert.equal(res.status, 500, `${mode}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, 'server_error', mode);
    assert.equal(res.body.access_token, undefined, mode);
    const line = await waitFor(`${mode}: an error logged`, () => srv.logs.slice(before).find((l) => l.level === 50 || l.level === 'error'));
    assert.match(JSON.stringify(line), logged, mode);
    assert.match(JSON.stringify(line), new RegExp(`grant type '${GRANT}'`), mode);
  }
});

test('plugins cannot issue around a grant context: the runtime API verifies and revokes but does not issue', async (t) => {
  const { srv } = await setup(t);
  const tokens = srv.server.runtimeApi('contract-grant').tokens as unknown as Record<string, unknown>;
  assert.equal(typeof tokens.verifyAccessToken, 'function');
  assert.equal(tokens.issueAccessToken, undefined);
});

test('a grant whose tokenTtl exceeds signing.retiredKeyRetention stops boot, naming the grant type and its plugin', (t) => {
  const dir = tempDir(t);
  const longLived = definePlugin({
    name: 'long-lived-grant',
    register(api) {
      api.registries.grantTypes.register(
        'urn:test:long-lived',
        defineGrant({ tokenTtl: 999999, handle: async (ctx) => ({ accessToken: await ctx.issueAccessToken({ subject: 's', audience: [], scope: '' }) }) }),
      );
    },
  });
  assert.throws(
    () =>
      new AuthPlane(
        {
          signing: { keyPath: join(dir, 'keys') },
          storage: { sqlite: { path: join(dir, 'a.db') } },
          plugins: [storageSqlite(), keystoreKeyfile(), longLived()],
        },
        { env: {} },
      ),
    (err: Error & { code?: string }) =>
      err.code === 'AP_ERR_GRANT_TTL_TOO_LONG' &&
      /grant type 'urn:test:long-lived' of plugin 'long-lived-grant' has tokenTtl 999999s, longer than signing.retiredKeyRetention \(86400s\)/.test(err.message),
  );
});

test('the oauth grants take tokens.accessTokenTtl as their tokenTtl, so a value above signing.retiredKeyRetention stops boot too', (t) => {
  const dir = tempDir(t);
  assert.throws(
    () =>
      new AuthPlane(
        {
          signing: { keyPath: join(dir, 'keys'), retiredKeyRetention: 3600 },
          tokens: { accessTokenTtl: 7200 },
          storage: { sqlite: { path: join(dir, 'a.db') } },
          plugins: [storageSqlite(), keystoreKeyfile(), clients(), resources(), users(), oauth()],
        },
        { env: {} },
      ),
    (err: Error & { code?: string }) =>
      err.code === 'AP_ERR_GRANT_TTL_TOO_LONG' && /grant type 'authorization_code' of plugin 'oauth' has tokenTtl 7200s/.test(err.message),
  );
});
