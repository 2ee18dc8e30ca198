import assert from 'node:assert/strict';
import { join } from 'node:path';
import test from 'node:test';
import { AuthPlane, BootError } from 'authplane';
import { clients, oauth, resources, tokenExchange, users } from 'authplane/plugins';
import { tempDir } from '../../helpers/server.js';
import { auditEvent, exchange, exchangeServer, ok, refused, RESOURCE_URI, SECOND_URI, userToken, verified, type ExchangeFixture } from './setup.js';

/** The first resource is fronted by `gateway`; a link maps its tools/read to the second resource's tools/read. */
async function frontedServer(t: Parameters<typeof exchangeServer>[0], link = true) {
  const fx = await exchangeServer(t);
  const origin = await fx.confidential('Origin app');
  const gateway = await fx.confidential('Gateway');
  const source = await resourceId(fx, RESOURCE_URI);
  const patched = await fx.admin(`/admin/resources/${source}`, { method: 'PATCH', body: JSON.stringify({ policy: { runtime: { client_ids: [gateway.client_id] } } }) });
  assert.equal(patched.status, 200, await patched.text());
  let linkId: string | undefined;
  if (link) {
    const created = await fx.admin('/admin/fronting', {
      method: 'POST',
      body: JSON.stringify({ source, target: fx.secondId, scope_map: { 'tools/read': ['tools/read'] } }),
    });
    const body = (await created.json()) as { id: string };
    assert.equal(created.status, 201, JSON.stringify(body));
    linkId = body.id;
  }
  const user = await userToken(fx, origin, 'tools/read tools/write');
  return { fx, origin, gateway, user, linkId };
}

async function resourceId(fx: ExchangeFixture, uri: string): Promise<string> {
  const list = (await (await fx.admin('/admin/resources')).json()) as { resources?: { id: string; uri: string }[] } | { id: string; uri: string }[];
  const rows = Array.isArray(list) ? list : (list.resources ?? []);
  const row = rows.find((r) => r.uri === uri);
  assert.ok(row, `resource ${uri} listed`);
  return row.id;
}

test("a gateway in the source's runtime.client_ids exchanges through a fronting link for the mapped scopes, with no consent to the target and no exchange policy", async (t) => {
  const { fx, origin, gateway, user, linkId } = await frontedServer(t);
  const body = await ok(await exchange(fx, gateway, { subject_token: user.access_token, resource: SECOND_URI }));
  assert.equal(body.scope, 'tools/read');
  const claims = await verified(fx, body.access_token, SECOND_URI);
  assert.deepEqual([claims.aud].flat(), [SECOND_URI]);
  assert.equal(claims.scope, 'tools/read');
  assert.equal((claims.act as { sub: string }).sub, gateway.client_id);
  const audit = await auditEvent(fx, 'token_exchanged', (e) => e.client_id === gateway.client_id);
  assert.equal(audit.detail.fronting_link_id, linkId);
  assert.equal(audit.detail.subject_client_id, origin.client_id);
});

test('a scope requested through a link beyond what the link maps is invalid_scope', async (t) => {
  const { fx, gateway, user } = await frontedServer(t);
  const description = await refused(await exchange(fx, gateway, { subject_token: user.access_token, resource: SECOND_URI, scope: 'tools/read tools/write' }), 'invalid_scope');
  assert.match(description, /fronting link/);
  const narrowed = await ok(await exchange(fx, gateway, { subject_token: user.access_token, resource: SECOND_URI, scope: 'tools/read' }));
  assert.equal(narrowed.scope, 'tools/read');
});

test('without a link the gateway is refused as any other client exchanging a token issued to another client', async (t) => {
  const { fx, gateway, user } = await frontedServer(t, false);
  const description = await refused(await exchange(fx, gateway, { subject_token: user.access_token, resource: SECOND_URI }), 'access_denied', 403);
  assert.match(description, /issued to another client/);
});

test("a client not in the source's runtime.client_ids gets nothing from the link", async (t) => {
  const { fx, user } = await frontedServer(t);
  const stranger = await fx.confidential('Stranger');
  const description = await refused(await exchange(fx, stranger, { subject_token: user.access_token, resource: SECOND_URI }), 'access_denied', 403);
  assert.match(description, /issued to another client/);
});

test('token-exchange without the fronting plugin stops boot naming the missing dependency', (t) => {
  const dir = tempDir(t);
  try {
    new AuthPlane(
      { storage: { sqlite: { path: join(dir, 'auth.db') } }, signing: { keyPath: join(dir, 'keys') }, plugins: [clients(), resources(), users(), oauth(), tokenExchange()] },
      { env: {}, logLevel: 'silent' },
    );
  } catch (err) {
    assert.ok(err instanceof BootError, String(err));
    assert.equal(err.code, 'AP_ERR_PLUGIN_DEPENDENCY');
    assert.match(err.message, /'token-exchange'/);
    assert.match(err.message, /'fronting'/);
    return;
  }
  assert.fail('expected boot to be refused');
});
