/**
 * What the scenarios need on each server, made the way an operator and a client would: on ours through the admin
 * API (a resource, a machine client, a user, a public code client) and the browser forms (login, consent); on
 * oidc-provider from its static configuration (bench/servers/oidc-provider.mjs, constants in fixtures.json).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScriptedBrowser } from '../../test/helpers/browser.js';
import type { LoadRequest } from './load.js';
import { BENCH_ADMIN_KEY, type RunningServer } from './servers.js';

interface Fixtures {
  resource: string;
  opaqueResource: string;
  scope: string;
  oidcProviderClient: { id: string; secret: string };
}

export const FIXTURES = JSON.parse(readFileSync(join(import.meta.dirname, '../servers/fixtures.json'), 'utf8')) as Fixtures;
const REDIRECT_URI = 'http://127.0.0.1:8765/callback';
const USER = { email: 'bench@example.com', password: 'a long bench password', name: 'Bench' };

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

const FORM = 'application/x-www-form-urlencoded';

/** A client_credentials token request; `tokenPath` differs (`/oauth/token` here, `/token` on oidc-provider). */
export function clientCredentialsRequest(url: string, authorization: string, resource: string): LoadRequest {
  return {
    url,
    method: 'POST',
    headers: { 'content-type': FORM, authorization },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: FIXTURES.scope }).toString(),
  };
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * A confidential client allowed both client_credentials and token exchange, and one token exchange request that
 * trades a token it got through client_credentials for a new one at the same resource and scope: a self-exchange of
 * a machine token passes every gate without a consent lookup (docs/token-exchange.md), so each request does the
 * exchange's full work — verify the subject token, check its revocation, follow the gates, sign, record the
 * issuance with its parent — and the same body can be sent over and over.
 */
export async function exchangeRequest(fixture: OurFixture): Promise<LoadRequest> {
  const client = await admin(fixture.server, '/admin/clients', {
    client_name: 'bench exchanging agent',
    grant_types: ['client_credentials', TOKEN_EXCHANGE],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: FIXTURES.scope,
  });
  const authorization = basic(String(client.client_id), String(client.client_secret));
  const subject = await send(clientCredentialsRequest(`${fixture.server.url}/oauth/token`, authorization, FIXTURES.resource));
  const request: LoadRequest = {
    url: `${fixture.server.url}/oauth/token`,
    method: 'POST',
    headers: { 'content-type': FORM, authorization },
    body: new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token: String(subject.access_token),
      subject_token_type: ACCESS_TOKEN_TYPE,
      resource: FIXTURES.resource,
      scope: FIXTURES.scope,
    }).toString(),
  };
  // Fails here, with the server's reason, rather than as a run of non-2xx answers.
  const first = await send(request);
  if (first.issued_token_type !== ACCESS_TOKEN_TYPE) throw new Error(`token exchange answered ${JSON.stringify(first)}`);
  return request;
}

/** An introspection request by the token's own client (RFC 7662 §2.1). */
export function introspectionRequest(url: string, authorization: string, token: string): LoadRequest {
  return { url, method: 'POST', headers: { 'content-type': FORM, authorization }, body: new URLSearchParams({ token }).toString() };
}

/** Sends one request and returns its JSON, failing on anything but 2xx. */
export async function send(request: LoadRequest): Promise<Record<string, unknown>> {
  const response = await fetch(request.url, { method: request.method ?? 'GET', headers: request.headers, body: request.body });
  const text = await response.text();
  if (!response.ok) throw new Error(`${request.method ?? 'GET'} ${request.url}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export interface OurFixture {
  server: RunningServer;
  /** `Authorization: Basic …` of the machine client. */
  machineAuth: string;
  machineClientId: string;
  tokenRequest: LoadRequest;
  codeClientId: string;
  /** Logged in, consent given once: each authorization request now answers with a code at once. */
  browser: ScriptedBrowser;
}

/** POST to the admin API, expecting 201 (resource, client, user creation). */
export async function admin(server: RunningServer, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.adminUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status !== 201) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Resource, machine client; with `codes`, also a user and a public client that went through login and consent once. */
export async function prepareOurs(server: RunningServer, options: { codes: boolean }): Promise<OurFixture> {
  await admin(server, '/admin/resources', {
    slug: 'bench',
    display_name: 'Bench MCP',
    uri: FIXTURES.resource,
    backend_kind: 'mint',
    scopes: [{ name: FIXTURES.scope, description: 'Read tools' }],
  });
  const machine = await admin(server, '/admin/clients', {
    client_name: 'bench machine',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: FIXTURES.scope,
  });
  const machineAuth = basic(String(machine.client_id), String(machine.client_secret));
  const fixture: OurFixture = {
    server,
    machineAuth,
    machineClientId: String(machine.client_id),
    tokenRequest: clientCredentialsRequest(`${server.url}/oauth/token`, machineAuth, FIXTURES.resource),
    codeClientId: '',
    browser: new ScriptedBrowser(server.url),
  };
  if (!options.codes) return fixture;
  await admin(server, '/admin/users', { ...USER, role: 'user' });
  const client = await admin(server, '/admin/clients', {
    client_name: 'bench MCP client',
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    scope: FIXTURES.scope,
  });
  fixture.codeClientId = String(client.client_id);
  const login = await fixture.browser.request('/login');
  const after = await fixture.browser.login(login, USER.email, USER.password);
  if (after.status !== 200) throw new Error(`login failed: ${after.status} ${after.body.slice(0, 300)}`);
  const first = await fixture.browser.request(authorizeUrl(fixture, challengeOf(VERIFIER)));
  const done = first.status === 200 && first.body.includes('name="decision"') ? await fixture.browser.consent(first, 'allow') : first;
  if (!new URL(done.url).searchParams.get('code')) throw new Error(`no code after consent: ${done.status} ${done.url} ${done.body.slice(0, 300)}`);
  return fixture;
}

/** One PKCE verifier for every code: the server still hashes and compares it on each redemption. */
const VERIFIER = randomBytes(32).toString('base64url');
const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

function authorizeUrl(fixture: OurFixture, challenge: string): string {
  const params = new URLSearchParams({
    client_id: fixture.codeClientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: FIXTURES.scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('base64url'),
    resource: FIXTURES.resource,
  });
  return `${fixture.server.url}/oauth/authorize?${params}`;
}

/**
 * Drives `count` authorization requests through the logged-in browser (a few at a time) and writes one token
 * request body per code into `file`, for the load generator to redeem each once.
 */
export async function mintCodes(fixture: OurFixture, count: number, file: string): Promise<void> {
  const challenge = challengeOf(VERIFIER);
  const bodies: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < count) {
      const page = await fixture.browser.request(authorizeUrl(fixture, challenge));
      const code = new URL(page.url).searchParams.get('code');
      if (!code) throw new Error(`authorize gave no code: ${page.status} ${page.url} ${page.body.slice(0, 300)}`);
      bodies.push(
        new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: VERIFIER,
          redirect_uri: REDIRECT_URI,
          client_id: fixture.codeClientId,
        }).toString(),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  writeFileSync(file, `${bodies.join('\n')}\n`);
}

export const oidcProviderAuth = basic(FIXTURES.oidcProviderClient.id, FIXTURES.oidcProviderClient.secret);
