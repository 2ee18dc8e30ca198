/**
 * A server with oauth, client_credentials, revocation, introspection, issuances, dpop and token-exchange, two
 * resources, and helpers that obtain real tokens (authorization code through the browser flow, client_credentials)
 * and exchange them over HTTP.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { PluginInstance } from 'authplane';
import { clientCredentials, dpop, fronting, introspection, issuances, revocation, tokenExchange } from 'authplane/plugins';
import { authorizeUrl, authorizeWith, loggedInBrowser, pkce, tokenRequest } from '../oauth/flow.js';
import { oauthServer, REDIRECT_URI, RESOURCE_URI, type OAuthFixture } from '../oauth/setup.js';
import { auditEvent, basicAuth, type AuditRecord } from '../client-credentials/setup.js';

export { RESOURCE_URI, auditEvent, type AuditRecord };
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const SECOND_URI = 'https://second.example.com/mcp';

export interface Confidential {
  client_id: string;
  client_secret: string;
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  issued_token_type?: string;
  refresh_token?: string;
}

export interface ExchangeFixture extends OAuthFixture {
  secondId: string;
  /** A confidential client that may use every grant the tests need. */
  confidential(name: string, body?: Record<string, unknown>): Promise<Confidential>;
  /** Sets a resource's exchange policy (`allowed_client_ids`). */
  allowExchange(resourceId: string, clientIds: string[]): Promise<void>;
}

export async function exchangeServer(
  t: TestContext,
  options: { exchange?: Record<string, unknown>; now?: () => number; storage?: 'sqlite' | 'postgres'; extra?: PluginInstance[] } = {},
): Promise<ExchangeFixture> {
  const fx = await oauthServer(t, {
    now: options.now,
    storage: options.storage,
    extra: [
      clientCredentials(),
      revocation(),
      introspection(),
      issuances(),
      dpop(),
      fronting(),
      tokenExchange(options.exchange as never),
      ...(options.extra ?? []),
    ],
  });
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({
      slug: 'second-mcp',
      display_name: 'Second MCP',
      uri: SECOND_URI,
      backend_kind: 'mint',
      scopes: [{ name: 'tools/read' }, { name: 'tools/write' }],
    }),
  });
  const second = (await created.json()) as { id: string };
  assert.equal(created.status, 201, JSON.stringify(second));
  const confidential = async (name: string, body: Record<string, unknown> = {}) =>
    (await fx.createClient({
      client_name: name,
      grant_types: ['authorization_code', 'client_credentials', TOKEN_EXCHANGE],
      token_endpoint_auth_method: 'client_secret_basic',
      ...body,
    })) as Confidential;
  const allowExchange = async (resourceId: string, clientIds: string[]) => {
    const response = await fx.admin(`/admin/resources/${resourceId}`, {
      method: 'PATCH',
      body: JSON.stringify({ policy: { exchange: { allowed_client_ids: clientIds } } }),
    });
    assert.equal(response.status, 200, await response.text());
  };
  return { ...fx, secondId: second.id, confidential, allowExchange };
}

/** A user's access token for a confidential client: login, consent, code, redemption with the client's secret. */
export async function userToken(fx: OAuthFixture, client: Confidential, scope = 'tools/read tools/write'): Promise<TokenBody> {
  const { verifier, challenge } = pkce();
  const browser = await loggedInBrowser(fx);
  const callback = await authorizeWith(browser, authorizeUrl(fx, { client_id: client.client_id, code_challenge: challenge, scope }));
  const response = await tokenRequest(
    fx,
    { grant_type: 'authorization_code', code: callback.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT_URI },
    { authorization: basicAuth(client) },
  );
  return ok(response);
}

export async function machineToken(fx: OAuthFixture, client: Confidential, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<TokenBody> {
  return ok(await tokenRequest(fx, { grant_type: 'client_credentials', ...params }, { authorization: basicAuth(client), ...headers }));
}

export function exchange(fx: OAuthFixture, client: Confidential, params: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return tokenRequest(
    fx,
    { grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN_TYPE, ...params },
    { authorization: basicAuth(client), ...headers },
  );
}

export async function ok(response: Response): Promise<TokenBody> {
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as TokenBody;
}

/** A refused request: status, error code, and the description for the test to read. */
export async function refused(response: Response, error: string, status = 400): Promise<string> {
  const body = (await response.json()) as { error: string; error_description: string };
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error, error, JSON.stringify(body));
  return body.error_description;
}

/** Verifies a token against the server's published JWKS, as a resource server would. */
export async function verified(fx: OAuthFixture, token: string, audience: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${fx.url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: fx.url, audience, typ: 'at+jwt' });
  assert.equal(protectedHeader.alg, 'ES256');
  return payload;
}

export async function metricsText(fx: OAuthFixture): Promise<string> {
  return (await fetch(`${fx.adminUrl}/metrics`)).text();
}

/** The value of one sample, 0 when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  const line = text.split('\n').find((l) => {
    if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) return false;
    return wanted.every(([k, v]) => l.includes(`${k}="${v}"`));
  });
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** The denial audited for `reason`, with the acting client. */
export function denial(fx: OAuthFixture, reason: string, clientId: string): Promise<AuditRecord> {
  return auditEvent(fx, 'token_exchange_denied', (e) => e.detail.reason === reason && e.client_id === clientId);
}
