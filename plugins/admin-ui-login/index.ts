/**
 * admin-ui-login: signing in to the admin console (admin-ui) with a user's login instead of the admin API key.
 * The console is a public OAuth client of this very server (`authplane-admin-console`, authorization code + PKCE
 * S256, redirect URI `<origin>/admin/ui/callback`), so the login page, its identity providers (federated SSO) and
 * consent are the ones everyone uses; it asks for scope `admin` of the resource named by option `resource`, which
 * must be registered (seed it: docs/admin-ui.md).
 * - Seeds the console's client at init (registration_source `admin-ui`; its redirect URI follows option `origin`).
 * - Taps `adminAuthenticate`: a bearer that is our access token for that resource with scope `admin`, issued to the
 *   console, not revoked, of an active user whose role is `admin` *now* (a demoted admin loses access at once)
 *   acts as `user:<id>` in audit events.
 * - Taps `httpMiddleware` (public): CORS for the console's origin on `/oauth/token` and `/oauth/revoke` only.
 * - Routes (admin listener, no admin credential): `GET /admin/ui/sign-in` (what the console needs to start a
 *   sign-in; `available: false` and why while the resource is not registered), `GET /admin/ui/sign-in/whoami` (who a token is, admin or
 *   not, so a non-admin gets a clear page).
 * Uses services `clients`, `users`, `resources`.
 */
import { definePlugin, ProblemError, Type, type JwtClaims, type RegisterApi } from 'authplane';
import type { Middleware } from 'koa';
import type { User } from '../users/types.js';

export const CONSOLE_CLIENT_ID = 'authplane-admin-console';
export const CONSOLE_SCOPE = 'admin';
const CORS_PATHS = new Set(['/oauth/token', '/oauth/revoke']);

/** `http://127.0.0.1:<port>` from the admin listener's address (a wildcard host is reached on loopback). */
function originOf(address: string): string | undefined {
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match || match[2] === '0') return undefined;
  const host = match[1]!.replace(/^\[(.*)\]$/, '$1');
  const reachable = host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${match[2]}`;
}

const audienceHas = (claims: JwtClaims, uri: string) => (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).includes(uri);

export const adminUiLogin = definePlugin({
  name: 'admin-ui-login',
  dependsOn: ['admin-ui', 'clients', 'users', 'oauth', 'resources'],
  schema: Type.Object(
    {
      origin: Type.String({
        default: '',
        description:
          "The admin console's origin as browsers reach it (`https://admin.example.com`); its redirect URI is `<origin>/admin/ui/callback`. Empty: `http://127.0.0.1:<port>` of `admin.address`. An `http` origin must be a loopback host.",
      }),
      resource: Type.String({
        default: '',
        description:
          "The URI of the registered resource (with scope `admin`) the console's access tokens are for. Empty: `<origin>/admin`. Until it is registered, only the admin API key signs in.",
      }),
    },
    { additionalProperties: false, description: "Signing in to the admin console with an admin user's login." },
  ),
  register(api: RegisterApi, options) {
    const origin = options.origin.replace(/\/+$/, '') || originOf(api.config.admin.address);
    const resourceUri = options.resource || (origin ? `${origin}/admin` : '');
    const issuer = new URL(api.config.server.issuer).origin;
    const redirectUri = `${origin}/admin/ui/callback`;

    /** The console's resource, if registered and offering the admin scope. */
    const resource = async () => {
      if (!origin || !resourceUri) return undefined;
      const found = await api.use('resources').resolve(resourceUri);
      return found && found.scopes.some((s) => s.name === CONSOLE_SCOPE) ? found : undefined;
    };

    /** The user a console token stands for, when it is one; the role is not checked here. */
    const tokenUser = async (token: string): Promise<User | undefined> => {
      const runtime = api.runtime();
      const claims = runtime.tokens.verifyAccessToken(token);
      if (!claims?.sub || !claims.jti || claims.client_id !== CONSOLE_CLIENT_ID) return undefined;
      const registered = await resource();
      if (!registered || !audienceHas(claims, registered.uri)) return undefined;
      if (!String(claims.scope ?? '').split(' ').includes(CONSOLE_SCOPE)) return undefined;
      if (await runtime.tokens.isRevoked(claims.jti)) return undefined;
      const user = await api.use('users').get(claims.sub);
      return user?.status === 'active' ? user : undefined;
    };

    api.hooks.adminAuthenticate.tapPromise(api.name, async (token) => {
      if (!token.includes('.')) return undefined;
      const user = await tokenUser(token);
      if (user?.role !== 'admin') return undefined;
      return { actorId: `user:${user.id}` as const, user: { id: user.id, email: user.email, name: user.name } };
    });

    const cors: Middleware = async (ctx, next) => {
      if (!origin || ctx.get('origin') !== origin || !CORS_PATHS.has(ctx.path)) return next();
      ctx.vary('Origin');
      ctx.set('Access-Control-Allow-Origin', origin);
      if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
        ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
        ctx.set('Access-Control-Allow-Headers', 'Content-Type');
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        return;
      }
      await next();
    };
    api.hooks.httpMiddleware.tap(api.name, (list, listener) => {
      if (listener === 'public') list.push(cors);
    });

    api.route('admin', 'GET', '/admin/ui/sign-in', async (ctx) => {
      const registered = await resource();
      ctx.set('Cache-Control', 'no-store');
      if (!registered) {
        ctx.body = { available: false, reason: `register the resource ${resourceUri || '(set admin-ui-login.origin)'} with scope ${CONSOLE_SCOPE}` };
        return;
      }
      ctx.body = {
        available: true,
        authorizationEndpoint: `${issuer}/oauth/authorize`,
        tokenEndpoint: `${issuer}/oauth/token`,
        revocationEndpoint: api.runtime().hooks.revokeToken.isUsed() ? `${issuer}/oauth/revoke` : undefined,
        clientId: CONSOLE_CLIENT_ID,
        redirectUri,
        resource: registered.uri,
        scope: CONSOLE_SCOPE,
      };
    }, { adminAuth: false });

    api.route('admin', 'GET', '/admin/ui/sign-in/whoami', async (ctx) => {
      const token = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'))?.[1]?.trim();
      const user = token ? await tokenUser(token) : undefined;
      if (!user) throw new ProblemError(401, 'Unauthorized', 'not a console sign-in that is still valid', { headers: { 'WWW-Authenticate': 'Bearer realm="admin"' } });
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { user: { id: user.id, email: user.email, name: user.name, role: user.role }, admin: user.role === 'admin' };
    }, { adminAuth: false });

    return {
      async init(rt) {
        if (!origin) {
          rt.log.warn('admin-ui-login: no console origin (admin.address has port 0 and no `origin` option): user sign-in is off');
          return;
        }
        const seeded = await rt.use('clients').upsertWithId(
          CONSOLE_CLIENT_ID,
          {
            client_name: 'AuthPlane admin console',
            redirect_uris: [redirectUri],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'none',
            scope: CONSOLE_SCOPE,
            application_type: 'web',
          },
          { source: 'admin-ui', actor_id: 'admin-ui-login' },
        );
        if (!seeded.ok) throw new Error(`admin-ui-login cannot seed its client: ${seeded.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
        if (!(await resource())) rt.log.warn({ resource: resourceUri }, 'admin-ui-login: the console resource is not registered (with scope admin): only the admin API key signs in');
      },
    };
  },
});
