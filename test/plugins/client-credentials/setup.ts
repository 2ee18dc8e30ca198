/**
 * A server with the core OAuth plugins plus client-credentials, introspection, revocation and issuances, and raw
 * HTTP helpers for the machine-token endpoints. Built on the oauth fixture (one resource, one user, one public
 * client), so user tokens and machine tokens meet on one server.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { clientCredentials, introspection, issuances, revocation } from 'authplane/plugins';
import type { AuthPlaneConfig, PluginInstance } from 'authplane';
import { oauthServer, type OAuthFixture } from '../oauth/setup.js';
import { waitFor } from '../../helpers/wait.js';

export { RESOURCE_URI } from '../oauth/setup.js';

export interface Credentials {
  client_id: string;
  client_secret?: string;
}

export interface MachineFixture extends OAuthFixture {
  /** A confidential client registered for client_credentials (admin API); body fields override the defaults. */
  createMachineClient(body?: Record<string, unknown>): Promise<Required<Credentials>>;
}

export async function machineServer(
  t: TestContext,
  options: { env?: NodeJS.ProcessEnv; storage?: 'sqlite' | 'postgres'; extra?: PluginInstance[]; config?: AuthPlaneConfig } = {},
): Promise<MachineFixture> {
  const fx = await oauthServer(t, {
    ...options,
    extra: [clientCredentials(), introspection(), revocation(), issuances(), ...(options.extra ?? [])],
  });
  const createMachineClient = async (body: Record<string, unknown> = {}) =>
    (await fx.createClient({
      client_name: 'Machine client',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'tools/read tools/write',
      ...body,
    })) as Required<Credentials>;
  return { ...fx, createMachineClient };
}

/** RFC 6749 §2.3.1: client_id and secret are form-urlencoded, then joined and base64-encoded. */
export function basicAuth(client: Credentials): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(client.client_id)}:${encode(client.client_secret ?? '')}`).toString('base64')}`;
}

/** POSTs a form to one of the OAuth endpoints, authenticating with Basic when the client has a secret. */
export function postForm(url: string, path: string, body: Record<string, string>, client?: Credentials): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const form = { ...body };
  if (client?.client_secret !== undefined) headers.authorization = basicAuth(client);
  else if (client) form.client_id = client.client_id;
  return fetch(`${url}${path}`, { method: 'POST', headers, body: new URLSearchParams(form) });
}

export function requestMachineToken(url: string, client: Credentials, params: Record<string, string> = {}): Promise<Response> {
  return postForm(url, '/oauth/token', { grant_type: 'client_credentials', ...params }, client);
}

/** A 200 token response's body, failing the test with the body otherwise. */
export async function machineToken(url: string, client: Credentials, params: Record<string, string> = {}) {
  const response = await requestMachineToken(url, client, params);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as { access_token: string; token_type: string; expires_in: number; scope: string; refresh_token?: string };
}

export async function introspect(url: string, caller: Credentials, token: string, hint?: string) {
  const response = await postForm(url, '/oauth/introspect', { token, ...(hint ? { token_type_hint: hint } : {}) }, caller);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as Record<string, unknown>;
}

export function revoke(url: string, caller: Credentials, token: string, hint?: string): Promise<Response> {
  return postForm(url, '/oauth/revoke', { token, ...(hint ? { token_type_hint: hint } : {}) }, caller);
}

export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header!), claims: decode(payload!) };
}

/** Audit events are written after the response; waits until one with `action` matching `match` arrives. */
export interface AuditRecord {
  action: string;
  actor_id: string | null;
  client_id: string | null;
  user_id: string | null;
  detail: Record<string, unknown>;
}

export async function auditEvent(
  fx: { admin(path: string): Promise<Response> },
  action: string,
  match: (event: AuditRecord) => boolean,
): Promise<AuditRecord> {
  let events: AuditRecord[] = [];
  return waitFor(
    `a matching ${action} audit event`,
    async () => {
      events = ((await (await fx.admin(`/admin/audit?action=${action}`)).json()) as { events: AuditRecord[] }).events;
      return events.find(match);
    },
    { lastSeen: () => events },
  );
}
