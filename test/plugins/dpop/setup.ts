/**
 * A server with the oauth and client_credentials grants plus dpop; proofs from oauth4webapi (the independent
 * client) and hand-built ones from jose for the cases a well-behaved client never produces.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { clientCredentials, dpop, introspection, issuances } from 'authplane/plugins';
import { authorizeUrl, authorizeWith, loggedInBrowser, pkce } from '../oauth/flow.js';
import { oauthServer, REDIRECT_URI, RESOURCE_URI, type OAuthFixture } from '../oauth/setup.js';

export { RESOURCE_URI, REDIRECT_URI };
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export interface DpopFixture extends OAuthFixture {
  as: oauth.AuthorizationServer;
  tokenUrl: string;
  /** A confidential client_credentials client (client_secret_basic) limited to tools/read. */
  machineClient(body?: Record<string, unknown>): Promise<{ client: oauth.Client; secret: string }>;
}

export async function dpopServer(
  t: TestContext,
  options: { dpop?: Record<string, unknown>; env?: NodeJS.ProcessEnv; storage?: 'sqlite' | 'postgres' } = {},
): Promise<DpopFixture> {
  const fx = await oauthServer(t, {
    env: options.env,
    storage: options.storage,
    extra: [dpop(options.dpop as never), clientCredentials(), introspection(), issuances()],
  });
  const issuer = new URL(fx.url);
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  const machineClient = async (body: Record<string, unknown> = {}) => {
    const created = await fx.createClient({
      client_name: 'Machine',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'tools/read',
      ...body,
    });
    return { client: { client_id: created.client_id }, secret: created.client_secret! };
  };
  return { ...fx, as, tokenUrl: `${fx.url}/oauth/token`, machineClient };
}

/** Login, consent and the callback, driven like a browser; the callback parameters as oauth4webapi validated them. */
export async function authorizationCode(fx: DpopFixture, clientId = fx.clientId, scope = 'tools/read') {
  const { verifier, challenge } = pkce();
  const browser = await loggedInBrowser(fx);
  const callback = await authorizeWith(browser, authorizeUrl(fx, { client_id: clientId, code_challenge: challenge, scope, state: 'st-dpop' }));
  const url = new URL(REDIRECT_URI);
  url.search = callback.toString();
  return { params: oauth.validateAuthResponse(fx.as, { client_id: clientId }, url, 'st-dpop'), verifier };
}

/** Redeems a code with oauth4webapi, the DPoP proof made by its handle. */
export async function redeemWithDpop(fx: DpopFixture, handle: oauth.DPoPHandle, clientId = fx.clientId, auth = oauth.None()) {
  const { params, verifier } = await authorizationCode(fx, clientId);
  const client = { client_id: clientId };
  const response = await oauth.authorizationCodeGrantRequest(fx.as, client, auth, params, REDIRECT_URI, verifier, {
    DPoP: handle,
    additionalParameters: { resource: RESOURCE_URI },
    ...insecure,
  });
  return oauth.processAuthorizationCodeResponse(fx.as, client, response);
}

export interface ProofKey {
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, publicKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** An oauth4webapi DPoP handle over a fresh key, and that key's thumbprint computed independently. */
export async function dpopHandle(client: oauth.Client, alg: oauth.JWSAlgorithm = 'ES256') {
  const keyPair = await oauth.generateKeyPair(alg, { extractable: true });
  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
  return { handle: oauth.DPoP(client, keyPair), jkt };
}

/** A proof built by hand with jose; claims and header members override the correct ones. */
export async function handProof(
  key: ProofKey,
  url: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({ htm: 'POST', htu: url, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey);
}

/** A client_credentials request with a hand-made DPoP header (or none), as raw HTTP. */
export function machineTokenRequest(
  fx: DpopFixture,
  machine: { client: oauth.Client; secret: string },
  proof?: string,
  extra: Record<string, string> = {},
) {
  const basic = Buffer.from(`${machine.client.client_id}:${machine.secret}`).toString('base64');
  return fetch(fx.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
      ...(proof !== undefined ? { dpop: proof } : {}),
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: RESOURCE_URI, ...extra }),
  });
}

/** The error of a refused token request, asserting its status and code. */
export async function expectError(response: Response, error: string, status = 400): Promise<string> {
  const body = (await response.json()) as { error: string; error_description: string };
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error, error, JSON.stringify(body));
  return body.error_description;
}

/** Raw HTTP with repeated header lines (fetch would fold them into one). */
export function postWithHeaderLines(url: string, headers: Record<string, string | string[]>, body: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function metricsText(fx: DpopFixture): Promise<string> {
  return (await fetch(`${fx.adminUrl}/metrics`)).text();
}

/** The value of one sample, 0 when absent. */
export function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
