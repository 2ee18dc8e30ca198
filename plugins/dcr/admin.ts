/**
 * The DCR mode at run time: `GET|PATCH /admin/settings/dcr` and `authserver admin dcr get|set --mode …`, both over
 * the same DcrModeSettings, so they validate, store and audit alike.
 */
import { adminActor, readJson, type CliCommand, type CliContext, type RegisterApi } from 'authplane';
import { dcrErrors } from './errors.js';
import type { DcrOptions } from './schema.js';
import type { DcrModeSettings, DcrModeView } from './settings.js';

const JSON_OPTION = { json: { type: 'boolean', description: 'Print JSON' } } as const;

function printView(out: (line: string) => void, json: boolean, view: DcrModeView): void {
  if (json) {
    out(JSON.stringify(view, null, 2));
    return;
  }
  out(`mode: ${view.mode} (${view.source === 'runtime' ? `set at run time by ${view.updated_by} at ${view.updated_at}` : 'from the configuration'})`);
  if (view.source === 'runtime' && view.configured_mode !== view.mode) out(`configured mode: ${view.configured_mode} (overridden)`);
}

export function registerDcrAdmin(api: RegisterApi, settings: DcrModeSettings, options: DcrOptions): void {
  // The API's answer adds the settings that only the config sets (read only), for the console's DCR page.
  const withConfigured = (view: DcrModeView) => ({ ...view, approved_redirects: options.approvedRedirects, inactive_client_ttl: options.inactiveClientTtl });
  api.route('admin', 'GET', '/admin/settings/dcr', async (ctx) => {
    ctx.body = withConfigured(await settings.view());
  });
  api.route('admin', 'PATCH', '/admin/settings/dcr', async (ctx) => {
    ctx.body = withConfigured(await settings.set(readJson(ctx), adminActor(ctx)));
  });

  const withServer =
    (run: (ctx: CliContext) => Promise<void>): CliCommand['run'] =>
    async (ctx) => {
      const server = await ctx.boot();
      try {
        await run(ctx);
      } finally {
        await server.stop();
      }
    };
  api.registries.cliCommands.register('admin dcr get', {
    description: 'Show the dynamic client registration mode in force and where it comes from',
    options: JSON_OPTION,
    run: withServer(async ({ options, out }) => printView(out, options.json === true, await settings.view())),
  });
  api.registries.cliCommands.register('admin dcr set', {
    description: 'Switch the dynamic client registration mode (open, approved_redirects, admin_only); stored, it wins over the config',
    options: { mode: { type: 'string', description: 'open, approved_redirects or admin_only' }, ...JSON_OPTION },
    run: withServer(async ({ options, out }) => {
      if (typeof options.mode !== 'string') throw dcrErrors.MODE_REQUIRED('usage: authserver admin dcr set --mode <open|approved_redirects|admin_only>');
      printView(out, options.json === true, await settings.set({ mode: options.mode }, { actor_id: 'cli' }));
    }),
  });
}
