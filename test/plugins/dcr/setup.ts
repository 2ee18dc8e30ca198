/** A server with the core OAuth plugins plus dcr, and helpers to register clients the way MCP clients do. */
import type { TestContext } from 'node:test';
import { dcr } from 'authplane/plugins';
import type { AuthPlaneConfig, PluginInstance } from 'authplane';
import { oauthServer, type OAuthFixture } from '../oauth/setup.js';

export async function dcrServer(
  t: TestContext,
  options: {
    dcrOptions?: Record<string, unknown>;
    env?: NodeJS.ProcessEnv;
    extra?: PluginInstance[];
    config?: AuthPlaneConfig;
    storage?: 'sqlite' | 'postgres';
  } = {},
): Promise<OAuthFixture & { register(body: unknown, headers?: Record<string, string>): Promise<Response> }> {
  const fx = await oauthServer(t, {
    env: options.env,
    config: options.config,
    storage: options.storage,
    extra: [dcr(options.dcrOptions as never), ...(options.extra ?? [])],
  });
  const register = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${fx.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { ...fx, register };
}

/** A minimal valid registration, as MCP clients send it. */
export const PUBLIC_CLIENT = {
  client_name: 'Test MCP client',
  redirect_uris: ['http://127.0.0.1:8765/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};
