/** A metadata document may describe its client as an agent (docs/agents.md), as a DCR registration may. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authorizeUrl } from '../oauth/flow.js';
import type { OAuthFixture } from '../oauth/setup.js';
import { cimdServer, claudeCodeLike, startDocumentHost } from './setup.js';

const REDIRECT_URI = 'http://127.0.0.1:9999/callback';

async function lookUp(fx: OAuthFixture, clientId: string): Promise<Response> {
  return fetch(authorizeUrl(fx, { client_id: clientId, redirect_uri: REDIRECT_URI }), { redirect: 'manual' });
}

test('a CIMD document declaring agent is stored, follows the document on refresh, and a wrong type is refused', async (t) => {
  const fx = await cimdServer(t, { cimdOptions: { cacheTtl: 0 } });
  const host = await startDocumentHost(t);
  let document: (url: string) => Record<string, unknown> = (url) => ({ ...claudeCodeLike(url), agent: true, agent_description: 'Writes code' });
  const clientId = host.serve('/client.json', (url) => document(url), { 'cache-control': 'no-store' });
  const path = `/admin/clients/${encodeURIComponent(clientId)}`;

  assert.equal((await lookUp(fx, clientId)).status, 302);
  let stored = await (await fx.admin(path)).json();
  assert.equal(stored.agent, true);
  assert.equal(stored.agent_description, 'Writes code');

  // The document owns the flag while no administrator has set it.
  document = (url) => claudeCodeLike(url);
  assert.equal((await lookUp(fx, clientId)).status, 302);
  stored = await (await fx.admin(path)).json();
  assert.equal(stored.agent, false);
  assert.equal(stored.agent_description, null);

  document = (url) => ({ ...claudeCodeLike(url), agent: 'yes' });
  const refused = await lookUp(fx, clientId);
  const page = (await refused.text()).replace(/&#39;/g, "'");
  assert.equal(refused.status, 400);
  assert.match(page, /agent: must be a boolean/);

  // A refused document is remembered for a while, so the next one is another client's.
  const longId = host.serve('/long.json', (url) => ({ ...claudeCodeLike(url), agent: true, agent_description: 'x'.repeat(1001) }));
  const tooLong = await lookUp(fx, longId);
  assert.equal(tooLong.status, 400);
  assert.match(await tooLong.text(), /agent_description/);
});
