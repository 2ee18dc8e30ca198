/**
 * A real upstream issuer on loopback (jose-signed, serving OpenID metadata and a JWKS it can rotate) minting ID-JAGs
 * and Kubernetes-shaped service-account tokens, and an AuthPlane server with trusted-issuers, private-key-jwt,
 * jwt-bearer, client-credentials, introspection, revocation and dpop.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { PluginInstance } from 'authplane';
import { clientCredentials, dpop, introspection, jwtBearer, privateKeyJwt, revocation, trustedIssuers } from 'authplane/plugins';
import { oauthServer, RESOURCE_URI, type OAuthFixture } from '../oauth/setup.js';

export { RESOURCE_URI };
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function signingKey(alg = 'ES256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface LoopbackIssuer {
  issuer: string;
  /** The key it signs with now; `rotate()` replaces it (the old one leaves the JWKS). */
  key: SigningKey;
  rotate(): Promise<SigningKey>;
  jwksFetches: number;
  /** Signs `claims` (defaults filled in) with `header` over the current key. */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>, key?: SigningKey): Promise<string>;
}

export async function startIssuer(t: TestContext, path = ''): Promise<LoopbackIssuer> {
  const state = { key: await signingKey(), jwksFetches: 0 };
  // OpenID Connect Discovery §4: the issuer's trailing slash is removed before the well-known path.
  const base = path.replace(/\/+$/, '');
  const server = createServer((req, res) => {
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === `${base}/.well-known/openid-configuration`) return send({ issuer, jwks_uri: `${origin}${base}/keys` });
    if (req.url === `${base}/keys`) {
      state.jwksFetches++;
      return send({ keys: [state.key.publicJwk] });
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}${path}`;
  return {
    issuer,
    get key() {
      return state.key;
    },
    get jwksFetches() {
      return state.jwksFetches;
    },
    async rotate() {
      state.key = await signingKey();
      return state.key;
    },
    sign(claims, header = {}, key = state.key) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, iat: now, exp: now + 120, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
        .sign(key.privateKey);
    },
  };
}

export interface JwtFixture extends OAuthFixture {
  tokenUrl: string;
  post(body: Record<string, string>, headers?: Record<string, string>, path?: string): Promise<Response>;
  /** Trusts an issuer through the admin API. */
  trust(body: Record<string, unknown>): Promise<{ id: string; name: string }>;
}

export async function jwtServer(t: TestContext, options: { storage?: 'sqlite' | 'postgres'; extra?: PluginInstance[]; allowPrivateAddresses?: boolean } = {}): Promise<JwtFixture> {
  const fx = await oauthServer(t, {
    storage: options.storage,
    extra: [
      clientCredentials(),
      introspection(),
      revocation(),
      dpop(),
      trustedIssuers({ allowPrivateAddresses: options.allowPrivateAddresses ?? true }),
      privateKeyJwt(),
      jwtBearer(),
      ...(options.extra ?? []),
    ],
  });
  const post = (body: Record<string, string>, headers: Record<string, string> = {}, path = '/oauth/token') =>
    fetch(`${fx.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });
  const trust = async (body: Record<string, unknown>) => {
    const response = await fx.admin('/admin/idps', { method: 'POST', body: JSON.stringify(body) });
    const json = await response.json();
    assert.equal(response.status, 201, JSON.stringify(json));
    return json as { id: string; name: string };
  };
  return { ...fx, tokenUrl: `${fx.url}/oauth/token`, post, trust };
}

/** A client's own assertion (RFC 7523 §3): iss = sub = client_id, aud the token endpoint. */
export function clientAssertion(key: SigningKey, clientId: string, aud: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: clientId, sub: clientId, aud, iat: now, exp: now + 60, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

export async function expectError(response: Response, error: string, status = 400): Promise<string> {
  const body = (await response.json()) as { error: string; error_description: string };
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error, error, JSON.stringify(body));
  return body.error_description;
}
