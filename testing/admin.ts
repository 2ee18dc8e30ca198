/**
 * The admin API as a test drives it: fetch with the admin key, and the three objects most plugin tests need first
 * (a client, a resource, a user), each created through the same API an operator scripts against.
 */

/** fetch against the admin listener with the admin key (and a JSON content type when there is a body). */
export type AdminFetch = (path: string, init?: RequestInit) => Promise<Response>;

/** What the create helpers need: a TestServer, or `{ admin: adminFetch(url, key) }` for a server started otherwise. */
export interface AdminApi {
  admin(path: string, init?: RequestInit): Promise<Response>;
}

/** Created through the clients plugin; `client_secret` only for a confidential client. */
export interface CreatedClient extends Record<string, unknown> {
  client_id: string;
  client_secret?: string;
  scope: string;
  grant_types: string[];
}

/** Created through the resources plugin. */
export interface CreatedResource extends Record<string, unknown> {
  id: string;
  slug: string;
  uri: string;
}

/** Created through the users plugin. */
export interface CreatedUser extends Record<string, unknown> {
  id: string;
  email: string;
}

export function adminFetch(adminUrl: string, adminKey: string): AdminFetch {
  return (path, init = {}) =>
    fetch(`${adminUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });
}

/** A refusal is thrown with the problem details the server sent, so the test output says which field was wrong. */
async function create<T>(server: AdminApi, path: string, body: Record<string, unknown>): Promise<T> {
  const response = await server.admin(path, { method: 'POST', body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** `POST /admin/clients` (clients plugin); defaults: `client_name` "Test client", client_secret_basic. */
export function createClient(server: AdminApi, body: { grant_types: string[]; scope: string } & Record<string, unknown>): Promise<CreatedClient> {
  return create(server, '/admin/clients', { client_name: 'Test client', token_endpoint_auth_method: 'client_secret_basic', ...body });
}

/** `POST /admin/resources` (resources plugin); `display_name` defaults to the slug, `scopes` are `{ name, description }`. */
export function createResource(server: AdminApi, body: { slug: string; uri: string } & Record<string, unknown>): Promise<CreatedResource> {
  return create(server, '/admin/resources', { display_name: body.slug, ...body });
}

/** `POST /admin/users` (users plugin); `name` defaults to the email. */
export function createUser(server: AdminApi, body: { email: string; password: string } & Record<string, unknown>): Promise<CreatedUser> {
  return create(server, '/admin/users', { name: body.email, ...body });
}
