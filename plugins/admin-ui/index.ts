/**
 * admin-ui: the admin web console at `/admin/ui/` on the admin listener (docs/admin-ui.md). It serves one HTML
 * document and one JavaScript bundle that esbuild builds from the shell (admin-ui/src) and the modules of the pages
 * the server's plugins registered in `adminPages` — on the first request for the console, then kept in memory —
 * so a page exists, in the navigation and in the code, exactly when its plugin is enabled.
 * - Routes (admin listener; the console's own routes need no credential, its API calls do): `GET /admin/ui` (to
 *   `/admin/ui/`), `GET /admin/ui/` and `/admin/ui/callback` (the shell), `GET /admin/ui/assets/<file>` (the
 *   bundle, immutable), `GET /admin/ui/session` (who the presented credential is; admin API authentication).
 * - Registers the kernel-level pages (`adminPages`): overview, keys (signing keys and the JWT inspector), system;
 *   and the build step `console` (`buildSteps`): `authserver build` bundles the console into `<out>/console/`,
 *   which a built server (no page sources, no esbuild) serves instead of building it.
 *   Strict CSP, no external network, ETags.
 * Taps no hooks; provides and uses no services.
 */
import { definePlugin, ProblemError, type AdminPrincipal, type RegisterApi } from 'authplane';
import type { Context } from 'koa';
import { buildConsole, type ConsoleBundle } from './bundle.js';
import { PREBUILT_DIR, readPrebuiltConsole, writePrebuiltConsole } from './prebuilt.js';
import { consoleCsp, shellHtml } from './shell-page.js';

function acceptsGzip(ctx: Context): boolean {
  return /\bgzip\b/.test(ctx.get('accept-encoding'));
}

export const adminUi = definePlugin({
  name: 'admin-ui',
  register(api: RegisterApi) {
    api.registries.adminPages.register('overview', {
      path: 'overview',
      title: 'Overview',
      icon: 'home',
      module: new URL('./admin-ui/ap-overview-page.ts', import.meta.url).href,
      element: 'ap-overview-page',
      permission: 'admin',
      section: 'Overview',
      order: 0,
    });
    api.registries.adminPages.register('keys', {
      path: 'keys',
      title: 'Signing keys',
      icon: 'key',
      module: new URL('./admin-ui/ap-keys-page.ts', import.meta.url).href,
      element: 'ap-keys-page',
      permission: 'admin',
      section: 'Security',
      order: 20,
    });
    api.registries.adminPages.register('system', {
      path: 'system',
      title: 'System',
      icon: 'settings',
      module: new URL('./admin-ui/ap-system-page.ts', import.meta.url).href,
      element: 'ap-system-page',
      permission: 'admin',
      section: 'System',
      order: 0,
    });

    // A server directory made by `authserver build` carries no page sources: the console is bundled into it then.
    api.registries.buildSteps.register('console', {
      async run({ outDir, registries }) {
        const pages = registries.adminPages.entries();
        const built = await writePrebuiltConsole(outDir, pages, (path) => registries.adminPages.owner(path));
        const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;
        return `${PREBUILT_DIR}/${built.file}: ${pages.length} pages (${pages.map(([path]) => path).join(', ')}), ${kib(built.js.length)}, ${kib(built.gzip.length)} gzipped`;
      },
    });

    let bundle: Promise<ConsoleBundle> | undefined;
    /** The bundle, built once; a failed build is logged and tried again on the next request. */
    const consoleBundle = (): Promise<ConsoleBundle> => {
      if (!bundle) {
        const { registries, log } = api.runtime();
        const started = Date.now();
        const pages = registries.adminPages.entries();
        let prebuilt = false;
        bundle = (async () => {
          const found = readPrebuiltConsole(pages);
          prebuilt = found !== undefined;
          return found ?? buildConsole(pages, (path) => registries.adminPages.owner(path));
        })().then(
          (built) => {
            const fields = { ms: Date.now() - started, bytes: built.js.length, gzip: built.gzip.length, pages: registries.adminPages.names() };
            log.info(fields, prebuilt ? 'admin console loaded (built by authserver build)' : 'admin console built');
            return built;
          },
          (err: unknown) => {
            bundle = undefined;
            log.error({ err }, 'admin console build failed');
            throw new ProblemError(503, 'Service Unavailable', (err as Error).message);
          },
        );
      }
      return bundle;
    };

    /**
     * The public origin's token and revocation endpoints, which a user's sign-in calls (CORS for the console's
     * origin is the sign-in plugin's); only when a plugin signs users in.
     */
    const connectTo = (): string[] => (api.runtime().hooks.adminAuthenticate.isUsed() ? [new URL(api.config.server.issuer).origin] : []);

    const page = async (ctx: Context) => {
      // A failed build is a 503 page (errors: 'page') saying why.
      const built = await consoleBundle();
      const html = shellHtml(built.file, { userSignInOffered: api.runtime().hooks.adminAuthenticate.isUsed() });
      const etag = `"${built.etag.slice(1, -1)}-${html.length}"`;
      ctx.set('Content-Security-Policy', consoleCsp(connectTo()));
      ctx.set('Cache-Control', 'no-cache');
      ctx.set('ETag', etag);
      if (ctx.get('if-none-match') === etag) {
        ctx.status = 304;
        return;
      }
      ctx.type = 'html';
      ctx.body = html;
    };

    // The router matches `/admin/ui` with or without its trailing slash; relative URLs need the slash.
    api.route('admin', 'GET', '/admin/ui', async (ctx) => {
      if (ctx.path.endsWith('/')) return page(ctx);
      ctx.status = 308;
      ctx.redirect('/admin/ui/');
    }, { adminAuth: false, errors: 'page' });
    api.route('admin', 'GET', '/admin/ui/callback', page, { adminAuth: false, errors: 'page' });

    api.route('admin', 'GET', '/admin/ui/assets/:file', async (ctx) => {
      const built = await consoleBundle();
      if (ctx.params.file !== built.file) throw new ProblemError(404, 'Not Found', `no console asset ${String(ctx.params.file)}`);
      ctx.set('Content-Security-Policy', consoleCsp(connectTo()));
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
      ctx.set('ETag', built.etag);
      ctx.vary('Accept-Encoding');
      if (ctx.get('if-none-match') === built.etag) {
        ctx.status = 304;
        return;
      }
      ctx.type = 'text/javascript; charset=utf-8';
      if (acceptsGzip(ctx)) {
        ctx.set('Content-Encoding', 'gzip');
        ctx.body = built.gzip;
      } else {
        ctx.body = built.js;
      }
    }, { adminAuth: false });

    // Behind admin API authentication: reaching the handler means the key or an accepted user token.
    api.route('admin', 'GET', '/admin/ui/session', (ctx) => {
      const principal = ctx.state.adminPrincipal as AdminPrincipal | undefined;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = principal
        ? { kind: 'user', admin: true, actor_id: principal.actorId, user: principal.user ?? null }
        : { kind: 'key', admin: true, actor_id: 'admin-api', user: null };
    });
  },
});
