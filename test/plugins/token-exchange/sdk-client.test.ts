import assert from 'node:assert/strict';
import test from 'node:test';
import { createOAuthClient, OAuthClientError, TOKEN_TYPE } from '@authplane/sdk';
import { exchangeServer, machineToken, SECOND_URI, userToken, verified } from './setup.js';

test("the SDK's token exchange client runs against this server: delegation to another resource, and refusals as OAuthClientError", async (t) => {
  const fx = await exchangeServer(t);
  const origin = await fx.confidential('Origin app');
  const server = await fx.confidential('MCP server');
  await fx.allowExchange(fx.secondId, [server.client_id]);
  const user = await userToken(fx, origin, 'tools/read');
  const actor = await machineToken(fx, server);
  const client = createOAuthClient({ issuer: fx.url, clientId: server.client_id, clientSecret: server.client_secret });

  const exchanged = await client.tokenExchange({ subjectToken: user.access_token, actorToken: actor.access_token, resource: SECOND_URI, scope: 'tools/read' });
  assert.equal(exchanged.issued_token_type, TOKEN_TYPE.accessToken);
  assert.equal(exchanged.refresh_token, undefined);
  const claims = await verified(fx, exchanged.access_token, SECOND_URI);
  assert.equal(claims.sub, fx.userId);
  assert.deepEqual(claims.act, { sub: server.client_id });

  const widened = await client.tokenExchange({ subjectToken: user.access_token, resource: SECOND_URI, scope: ['tools/read', 'tools/write'] }).catch((e: unknown) => e);
  assert.ok(widened instanceof OAuthClientError, String(widened));
  assert.equal(widened.error, 'invalid_scope');
  const refresh = await client.tokenExchange({ subjectToken: user.access_token, requestedTokenType: TOKEN_TYPE.refreshToken }).catch((e: unknown) => e);
  assert.ok(refresh instanceof OAuthClientError);
  assert.equal(refresh.error, 'invalid_request');
});
