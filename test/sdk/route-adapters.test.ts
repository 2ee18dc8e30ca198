/**
 * The Express and Hono middlewares on plain routes, in process: a route's own scope with the 403 step-up, the
 * tool scopes read from a JSON-RPC body nobody parsed yet (Express) or from a clone (Hono, the handler still reads
 * it), the full token for the handler, 413 for an oversized body, and 503 when AuthPlane cannot be reached.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { createExpressAuth, tokenOf } from '@authplane/sdk/express';
import { createHonoAuth, type AuthplaneVariables } from '@authplane/sdk/hono';
import { authplane, forge, goodClaims } from './fixture.js';
import { freePort } from '../helpers/server.js';

async function listen(t: TestContext, server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const call = (name: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } });
const post = (url: string, body: string, token?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body });

for (const framework of ['express', 'hono'] as const) {
  test(`${framework}: route scopes, tool scopes from the body, the token for the handler, 413`, async (t) => {
    const fx = await authplane(t);
    const port = await freePort();
    const resource = `http://127.0.0.1:${port}/api`;
    const options = { issuer: fx.url, resource, scopes: ['tools/read'], toolScopes: { purge: 'tools/write' }, logger: false as const, maxBodyBytes: 1024 };
    let app: Server;
    if (framework === 'express') {
      const auth = createExpressAuth(options);
      const ex = express();
      ex.use(auth.metadata);
      // No express.json(): protect() reads the body for toolScopes and leaves it on req.body.
      ex.post('/api/rpc', auth.protect(), (req, res) => void res.json({ sub: tokenOf(req)?.sub, scopes: tokenOf(req)?.scopes, body: req.body }));
      ex.post('/api/admin', auth.protect('tools/write'), (req, res) => void res.json({ ok: true, client: (req as { auth?: { clientId: string } }).auth?.clientId }));
      app = createServer(ex);
    } else {
      const auth = createHonoAuth(options);
      const hono = new Hono<{ Variables: AuthplaneVariables }>();
      hono.get(auth.prm.path, auth.metadata);
      hono.post('/api/rpc', auth.protect(), async (c) => c.json({ sub: c.get('token').sub, scopes: c.get('auth').scopes, body: await c.req.json() }));
      hono.post('/api/admin', auth.protect('tools/write'), (c) => c.json({ ok: true, client: c.get('auth').clientId }));
      app = createAdaptorServer({ fetch: hono.fetch }) as Server;
    }
    await new Promise<void>((resolve) => app.listen(port, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => { app.close(() => resolve()); app.closeAllConnections(); }));
    const base = `http://127.0.0.1:${port}`;
    const prmUrl = `${base}/.well-known/oauth-protected-resource/api`;

    assert.deepEqual((await (await fetch(prmUrl)).json()).scopes_supported, ['tools/read', 'tools/write']);
    const reader = await forge(fx, goodClaims(fx, { aud: [resource], scope: 'tools/read' }));
    const writer = await forge(fx, goodClaims(fx, { aud: [resource], scope: 'tools/read tools/write' }));

    const ok = await post(`${base}/api/rpc`, call('list'), reader);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { sub: fx.userId, scopes: ['tools/read'], body: JSON.parse(call('list')) });

    const purge = await post(`${base}/api/rpc`, call('purge'), reader);
    assert.equal(purge.status, 403);
    assert.equal(purge.headers.get('www-authenticate'), `Bearer resource_metadata="${prmUrl}", scope="tools/read tools/write", error="insufficient_scope", error_description="this call needs the scope tools/write"`);
    assert.equal((await post(`${base}/api/rpc`, call('purge'), writer)).status, 200);

    const admin = await post(`${base}/api/admin`, '{}', reader);
    assert.equal(admin.status, 403);
    assert.match(admin.headers.get('www-authenticate')!, /scope="tools\/read tools\/write", error="insufficient_scope"/);
    assert.deepEqual(await (await post(`${base}/api/admin`, '{}', writer)).json(), { ok: true, client: fx.clientId });

    const none = await post(`${base}/api/admin`, '{}');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), `Bearer resource_metadata="${prmUrl}", scope="tools/read"`);

    const big = await post(`${base}/api/rpc`, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list', arguments: { pad: 'x'.repeat(2000) } } }), reader);
    assert.equal(big.status, 413);
    assert.deepEqual(await big.json(), { error: 'request_too_large' });
  });
}

test('express and hono answer 503 with Retry-After when AuthPlane cannot be reached', async (t) => {
  const issuer = `http://127.0.0.1:${await freePort()}`;
  const options = { issuer, resource: 'http://127.0.0.1:1/api', logger: false as const };
  const ex = express();
  ex.get('/x', createExpressAuth(options).protect(), (_req, res) => void res.end());
  const expressUrl = await listen(t, createServer(ex));
  const hono = new Hono();
  hono.get('/x', createHonoAuth(options).protect(), (c) => c.text(''));
  // A well-formed token whose key must be fetched: the JWKS (and the metadata naming it) cannot be.
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })}.${b64({ sub: 'x' })}.${Buffer.alloc(64).toString('base64url')}`;
  for (const response of [
    await fetch(`${expressUrl}/x`, { headers: { authorization: `Bearer ${token}` } }),
    await hono.request('/x', { headers: { authorization: `Bearer ${token}` } }),
  ]) {
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    assert.deepEqual(await response.json(), { error: 'temporarily_unavailable', error_description: 'the authorization server cannot be reached' });
  }
});
