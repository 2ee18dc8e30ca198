/**
 * The SDK's ConsentRequiredError against a real AuthPlane answering consent_required: token exchange towards a
 * broker resource whose backend (a fixture standing in for the broker) refuses until the user "connects", and asks
 * for more consent beyond what was "granted upstream". The sdk README's example is run as written there.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONSENT_REQUIRED_TYPE, ConsentRequiredError, createOAuthClient, type OAuthClient } from '@authplane/sdk';
import { BROKER_UPSTREAM_TOKEN, brokerBackend } from '../fixtures/plugins/broker-backend.js';
import { repoTempDir } from '../helpers/config-files.js';
import { REPO_ROOT } from '../helpers/server.js';
import { exchangeServer, userToken } from '../plugins/token-exchange/setup.js';

const BROKER_URI = 'https://gh.example.com/mcp';

async function brokerServer(t: Parameters<typeof exchangeServer>[0], granted?: string[]) {
  const connected = new Set<string>();
  const fx = await exchangeServer(t, { extra: [brokerBackend({ connected, granted })()] });
  const app = await fx.confidential('Chat app');
  const mcpServer = await fx.confidential('GitHub MCP server');
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({
      slug: 'github-mcp',
      display_name: 'GitHub MCP',
      uri: BROKER_URI,
      backend_kind: 'broker',
      broker_provider_id: 'github',
      scopes: [
        { name: 'repo', upstream: ['repo'] },
        { name: 'profile', upstream: ['read:user'] },
      ],
      policy: { exchange: { allowed_client_ids: [mcpServer.client_id] } },
    }),
  });
  assert.equal(created.status, 201, await created.text());
  const user = await userToken(fx, app, 'tools/read');
  const client = createOAuthClient({ issuer: fx.url, clientId: mcpServer.client_id, clientSecret: mcpServer.client_secret });
  return { fx, connected, client, userAccessToken: user.access_token };
}

test('tokenExchange throws ConsentRequiredError decoded from AuthPlane’s answer, for each cause', async (t) => {
  const { fx, connected, client, userAccessToken } = await brokerServer(t, ['repo']);

  const missing = await client.tokenExchange({ subjectToken: userAccessToken, resource: BROKER_URI }).catch((e: unknown) => e);
  assert.ok(missing instanceof ConsentRequiredError, String(missing));
  assert.equal(missing.cause, 'consent_missing');
  assert.equal(missing.status, 400);
  assert.equal(missing.consentUrl, `${fx.url}/connect/github?${new URLSearchParams({ resource: BROKER_URI })}`);
  assert.equal(missing.problem.type, CONSENT_REQUIRED_TYPE);
  assert.equal(missing.problem.title, 'Consent required');
  assert.equal(missing.message, 'consent_required: connect your github account first');

  connected.add(fx.userId);
  const insufficient = await client.tokenExchange({ subjectToken: userAccessToken, resource: BROKER_URI, scope: ['repo', 'profile'] }).catch((e: unknown) => e);
  assert.ok(insufficient instanceof ConsentRequiredError, String(insufficient));
  assert.equal(insufficient.cause, 'scope_insufficient');
  const url = new URL(insufficient.consentUrl);
  assert.equal(url.pathname, '/oauth/authorize');
  assert.equal(url.searchParams.get('scope'), 'repo profile');

  const vended = await client.tokenExchange({ subjectToken: userAccessToken, resource: BROKER_URI, scope: ['repo'] });
  assert.equal(vended.access_token, BROKER_UPSTREAM_TOKEN);
});

/** The ```ts block of sdk/README.md's ConsentRequiredError section, as a module. */
function readmeExample(dir: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'sdk/README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### `ConsentRequiredError`'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the ConsentRequiredError section has a TypeScript example');
  const path = join(dir, 'consent-example.ts');
  writeFileSync(path, block[1]!);
  return path;
}

test('the sdk README example answers with the consent link until the user connects, then calls with the upstream token', async (t) => {
  const { fx, connected, client, userAccessToken } = await brokerServer(t);
  const example = (await import(readmeExample(repoTempDir(t, 'sdk-consent-')))) as {
    withUpstreamToken(client: OAuthClient, userToken: string, resource: string, call: (token: string) => Promise<string>): Promise<{
      isError?: boolean;
      content: { type: 'text'; text: string }[];
    }>;
  };
  const seen: string[] = [];
  const call = async (token: string) => {
    seen.push(token);
    return '3 repositories';
  };

  const before = await example.withUpstreamToken(client, userAccessToken, BROKER_URI, call);
  assert.equal(before.isError, true);
  assert.deepEqual(before.content, [{ type: 'text', text: `Connect your account first: ${fx.url}/connect/github?${new URLSearchParams({ resource: BROKER_URI })}` }]);
  assert.deepEqual(seen, []);

  connected.add(fx.userId);
  const after = await example.withUpstreamToken(client, userAccessToken, BROKER_URI, call);
  assert.equal(after.isError, undefined);
  assert.deepEqual(after.content, [{ type: 'text', text: '3 repositories' }]);
  assert.deepEqual(seen, [BROKER_UPSTREAM_TOKEN]);
});
