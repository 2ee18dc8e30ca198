/** What the connect flow's routes use, built once in the plugin's register. */
import type { RuntimeApi, Services } from 'authplane';
import type { ResourceRegistry } from '../../resources/types.js';
import type { GrantStore } from '../grants/store.js';
import type { ProviderDirectory, SecretBox } from '../types.js';
import type { UpstreamClient } from '../upstream-client.js';
import type { NonceCookie } from './nonce-cookie.js';

export interface ConnectDeps {
  providers: ProviderDirectory;
  resources: () => ResourceRegistry;
  interactions: Services['interactions'];
  box: () => SecretBox;
  upstream: UpstreamClient;
  grants: GrantStore;
  nonces: NonceCookie;
  runtime: () => RuntimeApi;
  /** The server's clock (ms). */
  now: () => number;
  /** `<issuer>/connect/<slug>/callback`: the redirect URI registered at the provider. */
  callbackUrl: (providerSlug: string) => string;
}
