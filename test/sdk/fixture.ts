/**
 * A running AuthPlane for the SDK's tests (the oauth fixture plus client_credentials, introspection, revocation
 * and dpop), real tokens through its endpoints, and forged ones signed with the server's own key read from its key
 * directory — the only way to get a token that is perfect except for one property (typ, iss, a missing claim).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { importJWK, SignJWT, type JWTPayload, type JWK } from 'jose';
import { clientCredentials, dpop, introspection, revocation } from 'authplane/plugins';
import type { SdkLogger } from '@authplane/sdk';
import { freePort } from '../helpers/server.js';
import { getCode, redeem } from '../plugins/oauth/flow.js';
import { oauthServer, RESOURCE_URI, type OAuthFixture } from '../plugins/oauth/setup.js';

export { RESOURCE_URI };

export async function authplane(t: TestContext): Promise<OAuthFixture> {
  return oauthServer(t, { extra: [clientCredentials(), introspection(), revocation(), dpop()] });
}

/** A user's access token from the authorization-code flow (login and consent by the scripted browser). */
export async function userToken(fx: OAuthFixture, options: { scope?: string; resource?: string } = {}): Promise<string> {
  const resource = options.resource ?? RESOURCE_URI;
  const { code, verifier } = await getCode(fx, { scope: options.scope ?? 'tools/read', resource });
  const response = await redeem(fx, code, verifier, { resource });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token as string;
}

/** A confidential client (client_secret_basic) for client_credentials, introspection and revocation. */
export async function confidentialClient(fx: OAuthFixture, scope = 'tools/read tools/write'): Promise<{ clientId: string; clientSecret: string }> {
  const created = await fx.createClient({
    client_name: 'MCP server',
    redirect_uris: [],
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  });
  assert.ok(created.client_secret);
  return { clientId: created.client_id, clientSecret: created.client_secret };
}

/** Signs claims with the server's current signing key (ES256), with a header the test chooses. */
export async function forge(fx: OAuthFixture, claims: JWTPayload, header: { typ?: string; kid?: string } = {}): Promise<string> {
  const dir = join(fx.dir, 'keys');
  const file = readdirSync(dir).find((n) => n.endsWith('.json'));
  assert.ok(file, 'the server has a key file');
  const stored = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { kid: string; private_jwk: JWK };
  const key = await importJWK(stored.private_jwk, 'ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: stored.kid, ...header }).sign(key);
}

/** Claims of a token AuthPlane would issue to a user for RESOURCE_URI. */
export function goodClaims(fx: OAuthFixture, overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: fx.url,
    sub: fx.userId,
    aud: [RESOURCE_URI],
    exp: now + 600,
    iat: now,
    jti: crypto.randomUUID(),
    client_id: fx.clientId,
    scope: 'tools/read',
    ...overrides,
  };
}

export function capturingLogger(): SdkLogger & { lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    info: (fields, msg) => lines.push({ level: 'info', ...fields, msg }),
    warn: (fields, msg) => lines.push({ level: 'warn', ...fields, msg }),
  };
}

/** fetch that records every URL it is asked for (to count discovery and JWKS fetches). */
export function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    },
  };
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The notes example's resource on a free port: `notes/read` and `notes/write`, registered through the admin API. */
export async function notesResource(fx: OAuthFixture): Promise<{ port: number; resource: string }> {
  const port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  const created = await fx.admin('/admin/resources', {
    method: 'POST',
    body: JSON.stringify({ slug: 'notes', display_name: 'Notes', uri: resource, scopes: [{ name: 'notes/read' }, { name: 'notes/write' }] }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  return { port, resource };
}
