/**
 * The JWT-assertion scenarios' fixtures: a client key (private_key_jwt) registered on both servers, a loopback IdP
 * (OpenID metadata and a JWKS) trusted by ours, and files of request bodies each carrying a freshly signed assertion,
 * since every assertion's `jti` is single use on both servers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { admin, FIXTURES, send, type OurFixture } from './fixtures.js';
import type { LoadRequest } from './load.js';

const FORM = 'application/x-www-form-urlencoded';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The oidc-provider client registered with the public key (bench/servers/oidc-provider.mjs, BENCH_CLIENT_JWK). */
export const OIDC_KEY_CLIENT = 'bench-key-client';

/** The plugins the JWT-assertion scenarios add to the preset (docs/jwt-assertions.md). */
export const JWT_PLUGINS = ['trustedIssuers({ allowPrivateAddresses: true })', 'privateKeyJwt()', 'jwtBearer()'];

export interface BenchKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function benchKey(kid: string): Promise<BenchKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

function sign(key: BenchKey, claims: Record<string, unknown>, typ?: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 300, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: String(key.publicJwk.kid), ...(typ ? { typ } : {}) })
    .sign(key.privateKey);
}

/** `count` client_credentials bodies, each with its own client assertion (RFC 7523 §2.2), one per line. */
export async function clientAssertionBodies(key: BenchKey, clientId: string, audience: string, count: number, file: string): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const assertion = await sign(key, { iss: clientId, sub: clientId, aud: audience });
    lines.push(
      new URLSearchParams({ grant_type: 'client_credentials', resource: FIXTURES.resource, scope: FIXTURES.scope, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }).toString(),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** A private_key_jwt machine client on our server, registered with the public key inline. */
export async function keyClient(fixture: OurFixture, key: BenchKey): Promise<string> {
  const client = await admin(fixture.server, '/admin/clients', {
    client_name: 'bench key client',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'private_key_jwt',
    scope: FIXTURES.scope,
    jwks: { keys: [key.publicJwk] },
  });
  return String(client.client_id);
}

/** The bodies-file request for one run: `prepare(count, file)` writes the bodies. */
export function preparedRequest(url: string, headers: Record<string, string>, prepare: (file: string, count: number) => Promise<void>, file: () => string) {
  return async (shape: { amount?: number }): Promise<LoadRequest> => {
    const path = file();
    await prepare(path, shape.amount!);
    return { url, method: 'POST', headers: { 'content-type': FORM, ...headers }, bodiesFile: path };
  };
}

export interface BenchIdp {
  issuer: string;
  key: BenchKey;
  close(): Promise<void>;
}

/** An IdP on loopback serving OpenID metadata and its JWKS, for ours to discover and fetch once. */
export async function startBenchIdp(): Promise<BenchIdp> {
  const key = await benchKey('bench-idp');
  let issuer = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.end(JSON.stringify({ keys: [key.publicJwk] }));
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, key, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * Trusts the IdP, allows a client through a Cross-App Access policy, and returns that client's Basic authorization
 * and a function writing `count` jwt-bearer bodies, each with a fresh ID-JAG for one user.
 */
export async function idJagFixture(fixture: OurFixture, idp: BenchIdp) {
  await admin(fixture.server, '/admin/idps', { name: 'bench-idp', issuer: idp.issuer });
  const client = await admin(fixture.server, '/admin/clients', {
    client_name: 'bench xaa client',
    grant_types: [JWT_BEARER],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: FIXTURES.scope,
  });
  await admin(fixture.server, '/admin/xaa/policies', { idp: 'bench-idp', client_ids: [client.client_id] });
  const issuer = String((await send({ url: `${fixture.server.url}/.well-known/oauth-authorization-server` })).issuer);
  const authorization = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  const bodies = async (file: string, count: number) => {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const assertion = await sign(
        idp.key,
        { iss: idp.issuer, sub: `user-${i % 100}`, aud: issuer, client_id: client.client_id, resource: FIXTURES.resource, scope: FIXTURES.scope },
        'oauth-id-jag+jwt',
      );
      lines.push(new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString());
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
  };
  const tokenUrl = `${fixture.server.url}/oauth/token`;
  // Fails here, with the server's reason, rather than as a run of non-2xx answers.
  await probe(tokenUrl, authorization, bodies);
  return { authorization, bodies, tokenUrl };
}

/** Sends the first body `write` produces, failing with the server's answer unless it is a token. */
export async function probe(url: string, authorization: string | undefined, write: (file: string, count: number) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'authplane-bench-probe-'));
  try {
    await write(join(dir, 'probe.txt'), 1);
    const body = readFileSync(join(dir, 'probe.txt'), 'utf8').trim();
    const answer = await send({ url, method: 'POST', headers: { 'content-type': FORM, ...(authorization ? { authorization } : {}) }, body });
    if (typeof answer.access_token !== 'string') throw new Error(`${url} answered ${JSON.stringify(answer)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The request of a run of `count` for the JWT-assertion scenarios of bench/profile.ts, compare.ts and
 * instructions.ts (`pkjwt`, `id-jag`) on our server alone: each call writes a fresh file of single-use bodies.
 * Undefined for any other scenario.
 */
export async function assertionRequests(
  scenario: string,
  fixture: OurFixture,
  bodiesFile: string,
  cleanups: (() => unknown)[],
): Promise<((count: number) => Promise<LoadRequest>) | undefined> {
  if (scenario === 'pkjwt') {
    const key = await benchKey('bench-client-key');
    const clientId = await keyClient(fixture, key);
    const tokenUrl = `${fixture.server.url}/oauth/token`;
    const prepare = preparedRequest(tokenUrl, {}, (file, count) => clientAssertionBodies(key, clientId, tokenUrl, count, file), () => bodiesFile);
    return (amount) => prepare({ amount });
  }
  if (scenario === 'id-jag') {
    const idp = await startBenchIdp();
    cleanups.push(() => idp.close());
    const x = await idJagFixture(fixture, idp);
    const prepare = preparedRequest(x.tokenUrl, { authorization: x.authorization }, x.bodies, () => bodiesFile);
    return (amount) => prepare({ amount });
  }
  return undefined;
}
