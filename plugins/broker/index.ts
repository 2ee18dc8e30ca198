/**
 * broker: resources whose tokens come from an upstream provider (GitHub, Google, Slack…) rather than from us. The
 * user connects once; the grant is kept encrypted at rest and token exchange vends fresh upstream access tokens.
 * - Tables `broker_providers`, `broker_grants` (migrations/broker).
 * - Provider records (RFC 6749 clients of ours at the upstream; secrets named by environment variable, never
 *   stored): admin API `/admin/broker-providers…` and CLI `authserver admin provider …`, one operations module
 *   behind both; seeded from option `providers` (insert only). Audit: broker_provider_created,
 *   broker_provider_updated, broker_provider_deleted.
 * - Provides service `brokerProviders` (get by slug or id, list).
 * - Serves backend `broker` of the resources plugin (`resources.registerBackend`): a broker resource must name an
 *   existing provider, stored as its slug; a provider is deleted only once no resource names it.
 * - Connect flow (connect/): `GET /connect/{provider}` (login through the oauth plugin's `interactions` service,
 *   return path `/connect/`) → upstream authorize with PKCE and a sealed state → `GET /connect/{provider}/callback`
 *   exchanges the code and saves the grant encrypted. `GET /connections`, `DELETE /connections/{provider}` for the
 *   signed-in user; admin API `/admin/broker-grants…` and CLI `authserver admin broker-grant …` (grants/). Audit:
 *   broker_grant_updated, broker_grant_revoked, broker_connect_failed. A provider with grants is deleted only with
 *   cascade.
 * - Upstream token endpoints (upstream-client.ts: code exchange, refresh, client credentials; RFC 6749 §4.1.3, §6,
 *   §4.4 with PKCE, RFC 7636) through the kernel's guarded outbound request: no redirects, `outbound.timeoutMs`,
 *   `outbound.maxResponseBytes`, SSRF guard unless `outbound.allowPrivateAddresses` (localhost issuer only).
 * - Vends upstream tokens (vend/): the token-exchange backend for `broker` resources (`tokenExchange`
 *   service), gated by the user's token scopes, agent attestation and consent (`consents` service of oauth),
 *   the user's upstream grant; refreshes it near expiry. Metric upstream_token_refresh_total; audit
 *   broker_grant_updated, broker_grant_revoked.
 * - Admin console page `broker` (`adminPages`, admin-ui/ap-broker-page.ts).
 */
import { definePlugin } from 'authplane';
import { registerProviderRoutes } from './admin-routes.js';
import { registerProviderCommands } from './cli.js';
import { brokerErrors } from './errors.js';
import { brokerMigrations } from './migrations.js';
import { ProviderOperations } from './operations.js';
import { brokerOptionsSchema } from './schema.js';
import { seedProviders } from './seed.js';
import { createSecretBox, type ConfiguredSecretBox } from './crypto/create-box.js';
import { ENCRYPTION_ENV_DEFAULTS, type EncryptionOptions } from './crypto/schema.js';
import { GrantStore } from './grants/store.js';
import { registerConnect } from './connect/index.js';
import type { GrantOperations } from './grants/operations.js';
import { registerReencryptCommand } from './reencrypt-cli.js';
import { ProviderStore, toProvider } from './store.js';
import type { ProviderDirectory } from './types.js';
import { registerVend } from './vend/index.js';

export type { BrokerOptions } from './schema.js';

const LOCALHOST_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export const broker = definePlugin({
  name: 'broker',
  // token-exchange: vends go out through its grant. oauth: the signed-in user of the connect flow, and the users'
  // consents an agent's vend rests on.
  dependsOn: ['resources', 'oauth', 'token-exchange'],
  schema: brokerOptionsSchema,
  errors: brokerErrors,
  env: [...ENCRYPTION_ENV_DEFAULTS],
  register(api, options) {
    const issuerHost = new URL(api.config.server.issuer).hostname;
    if (options.outbound.allowPrivateAddresses && !LOCALHOST_NAMES.has(issuerHost)) {
      throw brokerErrors.PRIVATE_ADDRESSES(
        `broker.outbound.allowPrivateAddresses lets provider records make this server call internal addresses; it is allowed only with a localhost issuer, not ${issuerHost}`,
      );
    }
    api.migrations(brokerMigrations);
    const store = new ProviderStore(api.runtime);
    const resources = api.use('resources');
    const operations = new ProviderOperations(store, () => resources, api.runtime, {
      allowPrivateAddresses: options.outbound.allowPrivateAddresses,
      environmentVariable: (name) => api.environmentVariable(name),
      grants: () => grantOperations,
    });

    const directory: ProviderDirectory = {
      async get(slugOrId) {
        const found = await store.find(slugOrId);
        return found && toProvider(found);
      },
      async list() {
        return (await store.all()).map(toProvider);
      },
    };
    api.provide('brokerProviders', directory);

    // Seeded resources may name seeded providers, and the resources plugin seeds in its init, before ours: it asks
    // for our seeds first (prepareSeeds). Either way the providers are seeded once.
    let seeded: Promise<unknown> | undefined;
    const seed = () => (seeded ??= seedProviders(options.providers, store, operations, api.runtime().log));
    resources.registerBackend(api.name, 'broker', {
      validate: (fields) => operations.validateResource(fields),
      prepareSeeds: async () => void (await seed()),
    });
    registerProviderRoutes(api, operations);
    api.registries.adminPages.register('broker', {
      path: 'broker',
      title: 'Broker',
      icon: 'key',
      module: new URL('./admin-ui/ap-broker-page.ts', import.meta.url).href,
      element: 'ap-broker-page',
      permission: 'admin',
      section: 'Manage',
      order: 40,
    });
    registerProviderCommands(api, operations);

    // Built at init, so a missing or malformed key stops boot rather than the first connect hours later.
    let box: ConfiguredSecretBox | undefined;
    const secretBox = (): ConfiguredSecretBox => {
      if (!box) throw new Error('the broker secret box is used before init');
      return box;
    };
    const grants = new GrantStore(api.runtime, secretBox);
    registerReencryptCommand(api, secretBox);
    registerVend(api, options, grants, directory);
    const grantOperations: GrantOperations = registerConnect(api, { options, providers: directory, grants, box: secretBox });

    return {
      async init(rt) {
        box = await createSecretBox(options.encryption, encryptionEnv(options.encryption, (name) => api.environmentVariable(name)), {
          issuer: rt.config.server.issuer,
          log: rt.log,
        });
        await seed();
        await operations.warnUnsetSecrets();
      },
    };
  },
});

/** The variables the encryption option names (an operator may rename them), read from the server's environment. */
function encryptionEnv(options: EncryptionOptions, read: (name: string) => string | undefined): Record<string, string | undefined> {
  const names = [options.masterKeyEnv, ...options.previousMasterKeyEnvs, options.vault.tokenEnv];
  return Object.fromEntries(names.map((name) => [name, read(name)]));
}
