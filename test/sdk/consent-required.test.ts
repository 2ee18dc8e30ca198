/**
 * The SDK's ConsentRequiredError against a real AuthPlane answering consent_required: the broker's vend through
 * token exchange refuses until the user's upstream account is connected, and asks for more when the connected grant
 * lacks an upstream scope. The grant is stored as the broker's connect flow stores it (fresh, so the upstream token
 * endpoint — a loopback server — is never called). The sdk README's example is run as written there.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONSENT_REQUIRED_TYPE, ConsentRequiredError, createOAuthClient, type OAuthClient } from '@authplane/sdk';
import { repoTempDir } from '../helpers/config-files.js';
import { REPO_ROOT } from '../helpers/server.js';
import { startTokenEndpoint } from '../plugins/broker/setup.js';
import { MAIL_URI, oauthProviderBody, vendServer } from '../plugins/broker/vend-setup.js';

const UPSTREAM_TOKEN = 'gho_16C7e42F292c6912E7710c838347Ae178B4a';

async function brokerServer(t: Parameters<typeof vendServer>[0], userScope = 'tools/read profile:read') {
  const endpoint = await startTokenEndpoint(t);
  const fx = await vendServer(t, { provider: oauthProviderBody(endpoint.origin) });
  /** What the connect flow stores once the user connected, with these upstream scopes. */
  const connect = (scopes: string[]) =>
    fx.grants.save(fx.userId, fx.provider.id, {
      access_token: UPSTREAM_TOKEN,
      token_type: 'Bearer',
      refresh_token: 'upstream-refresh-token',
      expires_at: fx.clock.now() + 3_600_000,
      scopes,
    });
  const user = await fx.userToken(userScope);
  const client = createOAuthClient({ issuer: fx.url, clientId: fx.agent.client_id, clientSecret: fx.agent.client_secret });
  t.after(() => assert.equal(endpoint.received.length, 0, 'fresh grants only: the upstream is never called'));
  return { fx, connect, client, userAccessToken: user.access_token };
}

test('tokenExchange throws ConsentRequiredError decoded from AuthPlane’s answer, for each cause', async (t) => {
  const { fx, connect, client, userAccessToken } = await brokerServer(t, 'tools/read profile:read inbox:read');

  const missing = await client.tokenExchange({ subjectToken: userAccessToken, resource: MAIL_URI }).catch((e: unknown) => e);
  assert.ok(missing instanceof ConsentRequiredError, String(missing));
  assert.equal(missing.cause, 'consent_missing');
  assert.equal(missing.status, 400);
  assert.equal(missing.consentUrl, `${fx.url}/connect/oidc?resource=mail-mcp`);
  assert.equal(missing.problem.type, CONSENT_REQUIRED_TYPE);
  assert.equal(missing.problem.title, 'Consent required');
  assert.equal(missing.message, 'consent_required: connect your Upstream Mail account first');

  await connect(['openid', 'profile']);
  const insufficient = await client.tokenExchange({ subjectToken: userAccessToken, resource: MAIL_URI, scope: ['profile:read', 'inbox:read'] }).catch((e: unknown) => e);
  assert.ok(insufficient instanceof ConsentRequiredError, String(insufficient));
  assert.equal(insufficient.cause, 'scope_insufficient');
  const url = new URL(insufficient.consentUrl);
  assert.equal(url.pathname, '/connect/oidc');
  assert.equal(url.searchParams.get('scope'), 'profile:read inbox:read');

  const vended = await client.tokenExchange({ subjectToken: userAccessToken, resource: MAIL_URI, scope: ['profile:read'] });
  assert.equal(vended.access_token, UPSTREAM_TOKEN);
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
  const { fx, connect, client, userAccessToken } = await brokerServer(t);
  const example = (await import(readmeExample(repoTempDir(t, 'sdk-consent-')))) as {
    withUpstreamToken(client: OAuthClient, userToken: string, resource: string, call: (token: string) => Promise<string>): Promise<{
      isError?: boolean;
      content: { type: 'text'; text: string }[];
    }>;
  };
  const seen: string[] = [];
  const call = async (token: string) => {
    seen.push(token);
    return '3 unread messages';
  };

  const before = await example.withUpstreamToken(client, userAccessToken, MAIL_URI, call);
  assert.equal(before.isError, true);
  assert.deepEqual(before.content, [{ type: 'text', text: `Connect your account first: ${fx.url}/connect/oidc?resource=mail-mcp` }]);
  assert.deepEqual(seen, []);

  await connect(['openid', 'profile']);
  const after = await example.withUpstreamToken(client, userAccessToken, MAIL_URI, call);
  assert.equal(after.isError, undefined);
  assert.deepEqual(after.content, [{ type: 'text', text: '3 unread messages' }]);
  assert.deepEqual(seen, [UPSTREAM_TOKEN]);
});
