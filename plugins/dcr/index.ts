/**
 * dcr: Dynamic Client Registration (RFC 7591) at `POST /oauth/register`.
 * - Modes `open` | `approved_redirects` | `admin_only` from `dcr.mode`, switchable at run time (`PATCH
 *   /admin/settings/dcr`, `authserver admin dcr get|set`); the switch is stored in `dcr_settings` (migrations/dcr)
 *   and wins over the config after a restart. The mode in force is logged at boot.
 * - Clients are created through the `clients` service (`register`, source `dcr`): the admin API's validation,
 *   audit `client_registered`, metric authserver_clients_registered_total{source="dcr"}.
 * - Per-IP rate limit: the rate-limit plugin's `strict` class covers POST /oauth/register.
 * - Purge target `dcr_clients`: clients registered here and unused for `inactiveClientTtl`.
 * - Taps `discoveryMetadata` (`registration_endpoint`). Provides service `dcrSettings` (the mode, read by cimd:
 *   `admin_only` stops CIMD too). Uses service `clients`.
 * - Admin console page `dcr` (`adminPages`, admin-ui/ap-dcr-page.ts).
 */
import { definePlugin } from 'authplane';
import { registerDcrAdmin } from './admin.js';
import { dcrErrors } from './errors.js';
import { dcrMigrations } from './migrations.js';
import { registerRegistrationEndpoint } from './register.js';
import { dcrOptionsSchema, type DcrOptions } from './schema.js';
import { DCR_MODE_TOPIC, DcrModeSettings } from './settings.js';

export type { DcrOptions } from './schema.js';

export const dcr = definePlugin({
  name: 'dcr',
  dependsOn: ['clients'],
  schema: dcrOptionsSchema,
  errors: dcrErrors,
  register(api, options) {
    api.migrations(dcrMigrations);
    const settings = new DcrModeSettings(api.runtime, options.mode);
    api.provide('dcrSettings', settings);
    registerRegistrationEndpoint(api, options, () => settings.mode());
    registerDcrAdmin(api, settings, options);
    api.registries.adminPages.register('dcr', {
      path: 'dcr',
      title: 'DCR mode',
      icon: 'settings',
      module: new URL('./admin-ui/ap-dcr-page.ts', import.meta.url).href,
      element: 'ap-dcr-page',
      permission: 'admin',
      section: 'Security',
      order: 40,
    });

    api.registries.purgeTargets.register('dcr_clients', {
      description: `dynamically registered clients unused for ${options.inactiveClientTtl} s (dcr.inactiveClientTtl)`,
      purge: ({ now }) => api.runtime().use('clients').purgeUnused('dcr', now.getTime() - options.inactiveClientTtl * 1000),
    });
    const issuer = api.config.server.issuer.replace(/\/+$/, '');
    api.hooks.discoveryMetadata.tap(api.name, (doc) => ({ ...doc, registration_endpoint: `${issuer}/oauth/register` }));
    let unsubscribe: (() => void) | undefined;
    return {
      async init(rt) {
        const view = await settings.view();
        rt.log.info({ mode: view.mode, source: view.source, configured_mode: view.configured_mode }, 'dcr mode in force');
        unsubscribe = rt.replicas.subscribe(DCR_MODE_TOPIC, () => settings.forget());
      },
      async stop() {
        unsubscribe?.();
      },
    };
  },
});
