/**
 * Docs describe what exists. An admin UI is planned, not built, and no doc promises one. The JWT bearer grant is a
 * plugin of its own (`jwt-bearer`): a server without it refuses the grant a client may still name, and the docs say
 * which plugin serves it. The broker is built: its docs say nothing is still to come.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { broker, clientCredentials, clients, fronting, oauth, resources, tokenExchange, users } from 'authplane/plugins';
import { REPO_ROOT, startServer } from '../helpers/server.js';
import { githubProvider, MASTER_KEY } from '../plugins/broker/setup.js';

const doc = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const row = (text: string, field: string) => text.split('\n').find((line) => line.startsWith(`| \`${field}\` |`)) ?? '';

test('a server without the jwt-bearer plugin refuses JWT bearer, though clients can name it, and a broker resource is refused by every grant but token exchange', async (t) => {
  // A broker resource names a provider the broker plugin holds; its tokens are vended through token exchange only.
  const github = githubProvider() as never;
  const server = await startServer(t, { plugins: [clients(), users(), resources(), oauth(), fronting(), tokenExchange(), broker({ providers: [github] }), clientCredentials()], env: { AUTHPLANE_BROKER_MASTER_KEY: MASTER_KEY } });
  const post = async (path: string, body: unknown) => {
    const response = await server.admin(path, { method: 'POST', body: JSON.stringify(body) });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as Record<string, string>;
  };
  await post('/admin/resources', {
    slug: 'github',
    display_name: 'GitHub',
    uri: 'https://gh.example.com/mcp',
    backend_kind: 'broker',
    broker_provider_id: 'github',
    scopes: [{ name: 'repo', upstream: ['repo'] }],
  });
  const client = await post('/admin/clients', {
    client_name: 'Agent',
    grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'repo',
  });
  const token = (params: Record<string, string>) =>
    fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
      body: new URLSearchParams(params),
    });

  for (const grant of ['urn:ietf:params:oauth:grant-type:jwt-bearer']) {
    const refused = await token({ grant_type: grant, assertion: 'x' });
    assert.equal(refused.status, 400, grant);
    assert.equal(((await refused.json()) as { error: string }).error, 'unsupported_grant_type', grant);
  }
  const brokered = await token({ grant_type: 'client_credentials', scope: 'repo', resource: 'https://gh.example.com/mcp' });
  assert.equal(brokered.status, 400);
  assert.equal(((await brokered.json()) as { error: string }).error, 'invalid_target');

  const discovery = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
  assert.ok(!discovery.grant_types_supported.includes('urn:ietf:params:oauth:grant-type:jwt-bearer'), 'not advertised either');
});

test('the docs name the plugin serving JWT bearer, call no part of the broker unbuilt, and promise no admin UI', () => {
  const adminApi = doc('docs/admin-api.md');
  assert.match(row(adminApi, 'grant_types'), /JWT bearer \(ID-JAG\) is served by the `jwt-bearer` plugin .*`unsupported_grant_type`/);
  assert.doesNotMatch(row(adminApi, 'grant_types'), /not built/i);
  assert.doesNotMatch(row(adminApi, 'backend_kind'), /not built/);
  assert.match(row(adminApi, 'policy'), /`connect\.allowed_return_urls`: the URLs the broker's \[connect flow\]\(broker\.md#connecting-an-account\) may return the browser to/);
  assert.doesNotMatch(row(adminApi, 'policy'), /not built/);

  const sdk = doc('sdk/README.md');
  // The broker is built: no document describes part of it as still to come.
  for (const path of ['sdk/README.md', 'docs/broker.md']) assert.doesNotMatch(doc(path), /not built/i, `${path} calls part of the broker not built`);

  for (const path of ['README.md', 'sdk/README.md', 'docs/configuration.md', 'docs/admin-api.md', 'docs/cli.md', 'docs/architecture.md']) {
    assert.doesNotMatch(doc(path), /admin UI/i, `${path} promises an admin UI`);
  }
});
