/**
 * Wires the connect flow and the grant routes into the broker plugin (called from its register): the browser routes
 * `/connect/{provider}` and its callback, `GET/DELETE /connections`, the admin API `/admin/broker-grants…` and
 * `authserver admin broker-grant …`. Returns the grant operations, which a provider's deletion cascades through.
 */
import type { RegisterApi } from 'authplane';
import type { BrokerOptions } from '../schema.js';
import { registerGrantAdminRoutes } from '../grants/admin-routes.js';
import { registerGrantCommands } from '../grants/cli.js';
import { registerConnectionRoutes } from '../grants/connections-routes.js';
import { GrantOperations } from '../grants/operations.js';
import type { GrantStore } from '../grants/store.js';
import type { ProviderDirectory, SecretBox } from '../types.js';
import { UpstreamClient } from '../upstream-client.js';
import { NonceCookie } from './nonce-cookie.js';
import { registerConnectRoutes } from './routes.js';

export function registerConnect(
  api: RegisterApi,
  deps: { options: BrokerOptions; providers: ProviderDirectory; grants: GrantStore; box: () => SecretBox },
): GrantOperations {
  const issuer = api.config.server.issuer.replace(/\/+$/, '');
  const interactions = api.use('interactions');
  const resources = api.use('resources');
  const operations = new GrantOperations(deps.grants, deps.providers, api.runtime);
  registerConnectRoutes(api, {
    providers: deps.providers,
    resources: () => resources,
    interactions,
    box: deps.box,
    upstream: new UpstreamClient({
      outbound: deps.options.outbound,
      environmentVariable: (name) => api.environmentVariable(name),
      now: () => api.runtime().now(),
    }),
    grants: deps.grants,
    nonces: new NonceCookie(issuer),
    runtime: api.runtime,
    now: () => api.runtime().now(),
    callbackUrl: (slug) => `${issuer}/connect/${slug}/callback`,
  });
  registerConnectionRoutes(api, operations, interactions);
  registerGrantAdminRoutes(api, operations);
  registerGrantCommands(api, operations);
  return operations;
}
