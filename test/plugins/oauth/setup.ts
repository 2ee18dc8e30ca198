/** A server with the core OAuth plugins, one resource, one user and one public client, made through the admin API. */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { clients, oauth, resources, users } from 'authplane/plugins';
import type { AuthPlaneConfig, PluginInstance } from 'authplane';
import { startServer, type TestServer } from '../../helpers/server.js';

export const RESOURCE_URI = 'https://mcp.example.com/mcp';
export const USER = { email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada' };
export const REDIRECT_URI = 'http://127.0.0.1:8765/callback';

export interface OAuthFixture extends TestServer {
  clientId: string;
  userId: string;
  resourceId: string;
  createClient(body: Record<string, unknown>): Promise<{ client_id: string; client_secret?: string }>;
}

export async function oauthServer(
  t: TestContext,
  options: {
    oauthOptions?: Record<string, unknown>;
    env?: NodeJS.ProcessEnv;
    storage?: 'sqlite' | 'postgres';
    extra?: PluginInstance[];
    config?: AuthPlaneConfig;
    /** The server's clock (a `testClock()`), for lifetimes a test moves past. */
    now?: () => number;
  } = {},
): Promise<OAuthFixture> {
  const server = await startServer(t, {
    exactIssuer: true,
    storage: options.storage,
    env: options.env,
    config: options.config,
    now: options.now,
    plugins: [clients(), resources(), users(), oauth(options.oauthOptions as never), ...(options.extra ?? [])],
  });
  const post = async (path: string, body: unknown) => {
    const response = await server.admin(path, { method: 'POST', body: JSON.stringify(body) });
    const json = await response.json();
    assert.equal(response.status, 201, `${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const resource = await post('/admin/resources', {
    slug: 'example-mcp',
    display_name: 'Example MCP',
    uri: RESOURCE_URI,
    backend_kind: 'mint',
    scopes: [
      { name: 'tools/read', description: 'Read tools' },
      { name: 'tools/write', description: 'Write tools' },
    ],
  });
  const user = await post('/admin/users', { ...USER, role: 'user' });
  const createClient = (body: Record<string, unknown>) =>
    post('/admin/clients', {
      client_name: 'Test client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      scope: 'tools/read tools/write',
      ...body,
    });
  const client = await createClient({});
  return { ...server, clientId: client.client_id, userId: user.id, resourceId: resource.id, createClient };
}
