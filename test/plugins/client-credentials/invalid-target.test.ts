/**
 * RFC 8707 §2.2 `invalid_target` from the client_credentials grant: the description repeats the `resource` received
 * (quoted, bounded, within RFC 6749 §5.2's characters), whatever the resource and however long, on both databases.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { broker as brokerPlugin, fronting, tokenExchange } from 'authplane/plugins';
import { requirePostgres } from '../../helpers/postgres.js';
import { machineServer, requestMachineToken } from './setup.js';
import { githubProvider, MASTER_KEY } from '../broker/setup.js';

/** 2048 characters as sent; percent-encoded it no longer fits resources.uri_key. */
const GROWING_URI = `https://mcp.example.com/${'é'.repeat(400)}${'a'.repeat(2048 - 24 - 400)}`;

async function invalidTargetRepeatsTheResource(t: TestContext, storage: 'sqlite' | 'postgres') {
  // A broker resource names an existing provider, which the broker plugin (seeded here) serves.
  const github = githubProvider() as never;
  const fx = await machineServer(t, { storage, extra: [fronting(), tokenExchange(), brokerPlugin({ providers: [github] })], env: { AUTHPLANE_BROKER_MASTER_KEY: MASTER_KEY } });
  const client = await fx.createMachineClient();
  const broker = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({
      slug: 'github', display_name: 'GitHub', uri: 'https://gh.example.com/mcp', backend_kind: 'broker', broker_provider_id: 'github',
      scopes: [{ name: 'tools/read' }],
    }),
  });
  assert.equal(broker.status, 201, await broker.clone().text());
  const before = await fx.server.db('token_issuances').count({ n: '*' });

  const description = async (resource: string) => {
    const response = await requestMachineToken(fx.url, client, { resource });
    const body = await response.json();
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.error, 'invalid_target', JSON.stringify(body));
    assert.match(body.error_description, /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/, 'RFC 6749 §5.2 characters only');
    return body.error_description as string;
  };
  assert.equal(await description('https://unknown.example.com/mcp'), "resource 'https://unknown.example.com/mcp' is not registered");
  assert.equal(await description('https://unknown.example.com/\u00e9 x'), "resource 'https://unknown.example.com/%C3%A9 x' is not registered");
  assert.equal(await description('no-such-slug'), "resource 'no-such-slug' is not registered");
  assert.equal(await description('not a uri:'), "resource 'not a uri:' is not registered");
  assert.equal(
    await description('https://GH.example.com/mcp/'),
    "resource 'https://GH.example.com/mcp/' is brokered: its tokens come from the upstream provider",
  );
  // Longer than any stored URI can be: still looked up and refused, the echo cut short.
  for (const huge of [GROWING_URI, `https://mcp.example.com/${'é'.repeat(5000)}`, `https://mcp.example.com/${'a'.repeat(20000)}`]) {
    const text = await description(huge);
    assert.ok(text.startsWith("resource 'https://mcp.example.com/"), text);
    assert.ok(text.endsWith("'... is not registered"), text);
    assert.ok(text.length < 300, 'the echo is bounded');
  }
  assert.deepEqual(await fx.server.db('token_issuances').count({ n: '*' }), before, 'no refused request wrote an issuance row');
}

test('client_credentials invalid_target repeats the resource received, quoted and bounded (SQLite)', async (t) => {
  await invalidTargetRepeatsTheResource(t, 'sqlite');
});

test('client_credentials invalid_target repeats the resource received, quoted and bounded (PostgreSQL)', async (t) => {
  if (!(await requirePostgres(t))) return;
  await invalidTargetRepeatsTheResource(t, 'postgres');
});
