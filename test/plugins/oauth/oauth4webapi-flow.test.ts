import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { ScriptedBrowser } from '../../helpers/browser.js';
import { oauthServer, REDIRECT_URI, RESOURCE_URI, USER } from './setup.js';

const insecure = { [oauth.allowInsecureRequests]: true };

test('oauth4webapi walks discovery, PKCE authorization with resource, code redemption and refresh', async (t) => {
  const fx = await oauthServer(t);
  const issuer = new URL(fx.url);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  assert.equal(as.issuer, fx.url);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  assert.ok((as.scopes_supported ?? []).includes('tools/read'));
  assert.ok((as.scopes_supported ?? []).includes('offline_access'));

  const client: oauth.Client = { client_id: fx.clientId };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(as.authorization_endpoint!);
  // A loopback redirect URI on another port than registered: RFC 8252 §7.3 says the port is not compared.
  const redirectUri = REDIRECT_URI.replace('8765', '40123');
  authorizationUrl.search = new URLSearchParams({
    client_id: fx.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'tools/read',
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: RESOURCE_URI,
  }).toString();

  const browser = new ScriptedBrowser(fx.url);
  const loginPage = await browser.request(authorizationUrl.toString());
  assert.equal(loginPage.status, 200);
  assert.match(loginPage.url, /\/login\?return_to=/);
  const consentPage = await browser.login(loginPage, USER.email, USER.password);
  assert.equal(consentPage.status, 200, consentPage.body);
  assert.match(consentPage.body, /Example MCP/);
  assert.match(consentPage.body, /Read tools/);
  assert.match(consentPage.body, /127\.0\.0\.1:40123/);
  assert.match(consentPage.body, /loopback/);
  const callback = await browser.consent(consentPage, 'allow');
  assert.ok(callback.url.startsWith(redirectUri), callback.url);

  const params = oauth.validateAuthResponse(as, client, new URL(callback.url), state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, {
    additionalParameters: { resource: RESOURCE_URI },
    ...insecure,
  });
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.scope, 'tools/read');
  assert.ok(tokens.refresh_token);

  const jwks = createLocalJWKSet(await (await fetch(as.jwks_uri!)).json());
  const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
    issuer: fx.url,
    audience: RESOURCE_URI,
    typ: 'at+jwt',
    clockTolerance: 30,
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, fx.userId);
  assert.equal(payload.client_id, fx.clientId);
  assert.equal(payload.scope, 'tools/read');
  assert.deepEqual(payload.aud, [RESOURCE_URI]);
  for (const claim of ['exp', 'iat', 'jti']) assert.ok(payload[claim], claim);

  const refreshed = await oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure),
  );
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
  assert.equal(refreshed.scope, 'tools/read');
  const again = await jwtVerify(refreshed.access_token, jwks, { issuer: fx.url, audience: RESOURCE_URI });
  assert.notEqual(again.payload.jti, payload.jti);

  // A second authorization inside the granted scopes skips the consent screen.
  const second = await browser.request(authorizationUrl.toString().replace(state, 'second-state'));
  assert.ok(second.url.startsWith(redirectUri), `consent was skipped: ${second.url}`);
  assert.equal(new URL(second.url).searchParams.get('iss'), fx.url);
});
