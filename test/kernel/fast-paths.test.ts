import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definePlugin } from 'authplane';
import { introspect, machineServer, machineToken, RESOURCE_URI } from '../plugins/client-credentials/setup.js';
import { startServer } from '../helpers/server.js';

/** Records the public paths that reach the koa middleware chain (an `httpMiddleware` tap). */
function middlewareProbe(seen: string[]) {
  return definePlugin({
    name: 'middleware-probe',
    register(api) {
      api.hooks.httpMiddleware.tap(api.name, (middleware, listener) => {
        if (listener !== 'public') return;
        middleware.push(async (ctx, next) => {
          seen.push(ctx.path);
          await next();
        });
      });
    },
  })();
}

const switched = (on: boolean) => ({ AUTHPLANE_SERVER_FAST_PATHS: String(on) });

test('with server.fastPaths off a static document goes through koa like any request, with the same answer', async (t) => {
  const answers: { status: number; etag: string | null; body: string }[] = [];
  for (const on of [true, false]) {
    const seen: string[] = [];
    const { url } = await startServer(t, { plugins: [middlewareProbe(seen)], env: switched(on) });
    const response = await fetch(`${url}/.well-known/jwks.json`);
    answers.push({ status: response.status, etag: response.headers.get('etag'), body: await response.text() });
    await fetch(`${url}/no-such-page`);
    // The middleware chain sees every other request either way; the JWKS only without the fast path.
    assert.deepEqual(seen, on ? ['/no-such-page'] : ['/.well-known/jwks.json', '/no-such-page'], `fastPaths ${on}`);
  }
  assert.equal(answers[0]!.status, 200);
  assert.equal(answers[1]!.status, 200);
  assert.ok(answers[0]!.etag && answers[1]!.etag);
});

for (const storage of ['sqlite', 'postgres'] as const) {
  test(`${storage}: with server.fastPaths off the issuance row and the denylist read are plain knex queries, on they bypass the builder`, async (t) => {
    for (const on of [true, false]) {
      const fx = await machineServer(t, { storage, env: switched(on) });
      const client = await fx.createMachineClient();
      const built: string[] = [];
      fx.server.db.on('query', (query: { sql: string }) => built.push(query.sql));
      const token = (await machineToken(fx.url, client, { resource: RESOURCE_URI })).access_token;
      assert.equal((await introspect(fx.url, client, token)).active, true, `fastPaths ${on}`);
      const issuance = built.filter((sql) => /^insert into [`"]token_issuances[`"]/i.test(sql));
      const denylist = built.filter((sql) => /from [`"]token_denylist[`"]/i.test(sql));
      if (on) {
        assert.deepEqual(issuance, [], 'on: the issuance row goes on the driver connection');
        assert.deepEqual(denylist, [], 'on: the denylist read goes on the driver connection or the reader');
      } else {
        assert.equal(issuance.length, 1, `off: ${built.join(' | ')}`);
        assert.equal(denylist.length, 1, `off: ${built.join(' | ')}`);
      }
      if (storage === 'sqlite') {
        // The statement cache replaces the pooled connection's own `prepare`; without the fast paths it is not there.
        const client = fx.server.db.client as { acquireConnection(): Promise<object>; releaseConnection(c: object): Promise<void> };
        const connection = await client.acquireConnection();
        try {
          assert.equal(Object.hasOwn(connection, 'prepare'), on, `fastPaths ${on}: statement cache installed`);
        } finally {
          await client.releaseConnection(connection);
        }
      }
    }
  });
}
