/** What an administrator sets on a metadata-document client survives the next fetch of its document. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requirePostgres } from '../../helpers/postgres.js';
import { authorizeUrl } from '../oauth/flow.js';
import type { OAuthFixture } from '../oauth/setup.js';
import { cimdServer, claudeCodeLike, startDocumentHost } from './setup.js';

const REDIRECT_URI = 'http://127.0.0.1:9999/callback';

/** One /oauth/authorize without a session: resolves the client (fetching its document when stale). */
async function lookUp(fx: OAuthFixture, clientId: string): Promise<number> {
  return (await fetch(authorizeUrl(fx, { client_id: clientId, redirect_uri: REDIRECT_URI }), { redirect: 'manual' })).status;
}

for (const storage of ['sqlite', 'postgres'] as const) {
  test(`on ${storage}, an administrator's scope, DPoP binding and other changes to a CIMD client survive the next document fetch`, async (t) => {
    if (storage === 'postgres' && !(await requirePostgres(t))) return;
    // no-store: every lookup fetches the document again, as a document host may choose.
    const fx = await cimdServer(t, { storage });
    const host = await startDocumentHost(t);
    let document = (url: string) => ({ ...claudeCodeLike(url), client_uri: 'https://claude.example.com' });
    const clientId = host.serve('/client.json', (url) => document(url), { 'cache-control': 'no-store' });
    assert.equal(await lookUp(fx, clientId), 302);
    const path = `/admin/clients/${encodeURIComponent(clientId)}`;

    const patch = { scope: 'tools/read', dpop_bound_access_tokens: true, agent: true, agent_description: 'Runs at night', client_name: 'Claude (reviewed)' };
    const patched = await fx.admin(path, { method: 'PATCH', body: JSON.stringify(patch) });
    assert.equal(patched.status, 200, await patched.clone().text());
    assert.deepEqual((await patched.json()).admin_fields, ['agent', 'agent_description', 'client_name', 'dpop_bound_access_tokens', 'scope']);

    // The document changes what it owns: its name (set by the administrator, so kept), URIs and informational fields.
    document = (url) => ({
      ...claudeCodeLike(url),
      client_name: 'Claude Code v2',
      client_uri: 'https://claude.example.com/v2',
      redirect_uris: ['http://127.0.0.1/callback'],
    });
    const fetchesBefore = host.hits('/client.json');
    assert.equal(await lookUp(fx, clientId), 302);
    assert.equal(host.hits('/client.json'), fetchesBefore + 1, 'the document was fetched again');

    const stored = await (await fx.admin(path)).json();
    assert.equal(stored.scope, 'tools/read');
    assert.equal(stored.dpop_bound_access_tokens, true);
    assert.equal(stored.agent, true);
    assert.equal(stored.agent_description, 'Runs at night');
    assert.equal(stored.client_name, 'Claude (reviewed)', 'the administrator renamed it; the document no longer does');
    assert.deepEqual(stored.redirect_uris, ['http://127.0.0.1/callback'], 'what the administrator left alone follows the document');
    assert.equal(stored.metadata.client_uri, 'https://claude.example.com/v2');
    assert.equal(stored.status, 'active');

    // Fetched once more with nothing new: no write, no audit event.
    await fx.server.runtimeApi().audit.flush();
    const audit = async () =>
      (await (await fx.admin(`/admin/audit?action=client_updated&client_id=${encodeURIComponent(clientId)}`)).json()).events.length;
    const updates = await audit();
    assert.equal(await lookUp(fx, clientId), 302);
    await fx.server.runtimeApi().audit.flush();
    assert.equal(await audit(), updates, 'an unchanged document writes nothing');
  });
}

test('an administrator who narrows the grants of a CIMD client keeps them narrowed across document fetches', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { cacheTtl: 0 } });
  const host = await startDocumentHost(t);
  const clientId = host.serve('/client.json', claudeCodeLike);
  assert.equal(await lookUp(fx, clientId), 302);
  const path = `/admin/clients/${encodeURIComponent(clientId)}`;
  const patched = await fx.admin(path, { method: 'PATCH', body: JSON.stringify({ grant_types: ['authorization_code'] }) });
  assert.equal(patched.status, 200, await patched.clone().text());
  assert.equal(await lookUp(fx, clientId), 302);
  const stored = await (await fx.admin(path)).json();
  assert.deepEqual(stored.grant_types, ['authorization_code'], 'no refresh_token again from the document');
  assert.deepEqual(stored.response_types, ['code']);
});
