/**
 * THE hook catalog: every extension point of the kernel. Pipelines (many contributors, ordered) are tapable hooks;
 * one-owner things are registries that refuse duplicates. A plugin taps with its own name, in `register`:
 * `api.hooks.discoveryMetadata.tap('my-plugin', (doc) => ({ ...doc, my_field: true }))`. The catalog is closed
 * after register, so a hook's taps are known once and for all before the first request.
 *
 * Hot-path rule: only `tokenRequest`, `grantRequest`, `resolveClient`, `introspectToken` and `revokeToken` may await;
 * claim and response waterfalls are synchronous (do I/O earlier, keep results on the context's `state`).
 */
import type { Context, Middleware } from 'koa';
import {
  AsyncParallelHook,
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  HookMap,
  SyncHook,
  SyncWaterfallHook,
} from 'tapable';
import type {
  AuditEvent,
  Client,
  ClientAuthenticator,
  GrantHandler,
  IssueContext,
  JwtClaims,
  KeyStoreFactory,
  PurgeTarget,
  RequestInfo,
  StorageDriver,
  TokenContext,
  TokenResponseBody,
} from './contracts.js';
import type { CliCommand } from './cli/command.js';
import { Registry, type ReadableRegistry } from './plugin/registry.js';

export type ListenerName = 'public' | 'admin';
export type DiscoveryDocument = Record<string, unknown>;

/** What a plugin that authorizes a request sees (RFC 6749 §4.1.1 parameters, parsed). */
export interface AuthorizeContext {
  readonly request: RequestInfo;
  readonly params: Readonly<Record<string, string>>;
  readonly client: Client;
  readonly state: Record<string, unknown>;
}

/** An introspected token (RFC 7662 §2.2 members). */
export interface TokenInfo {
  active: true;
  token_type: string;
  client_id: string;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  scope?: string;
  exp?: number;
  iat?: number;
  jti?: string;
  [member: string]: unknown;
}

/**
 * One login in progress, as the oauth plugin's `interactions` service hands it to an identity provider. It is bound
 * to the browser that started it: `begin` puts it in a signed cookie (10 minutes, path /login or the provider's own
 * callback path), and a provider's own form carries it as `fields`; a callback without one never reaches the provider.
 */
export interface LoginInteraction {
  /** The provider's name in `identityProviders`. */
  readonly provider: string;
  /** Where the browser goes once signed in: one of our authorize or consent URLs (already checked), else none. */
  readonly returnTo: string | undefined;
  /**
   * Unguessable and bound to this browser and this interaction: send it upstream as OAuth `state` and compare what
   * comes back, or keep it with anything you hand out (a one-time link) and compare it at the callback.
   */
  readonly state: string;
  /**
   * The redirect URI to register upstream: `<issuer>/login/<name>/callback` (GET and POST), or `<issuer>` followed by
   * the provider's own `paths.callback`.
   */
  readonly callbackUrl: string;
  /** Hidden fields (`csrf_token`, `return_to`) a form of the provider's own must carry when it posts to its callback. */
  readonly fields: Readonly<Record<string, string>>;
}

/** What a provider proved: who signed in and how. The `interactions` service checks the user and does the rest. */
export interface IdentityProof {
  readonly userId: string;
  /** RFC 8176 authentication method references (`pwd`, `otp`, `fed`, `mfa`…), audited with the login. */
  readonly amr: readonly string[];
  /** Anything the audit event should keep about the login (the upstream issuer and subject…). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** The provider could not prove who is signing in, or wants the form filled in again. */
export interface LoginFailure {
  /** Shown to the person: next to the provider's form on the login page, or on an error page. */
  readonly error: string;
  readonly status: number;
  /**
   * Set for a failed login (`invalid_credentials`, `locked_out`, `invalid_token`…): audited as `user_login_failed`
   * with this `detail.reason` and counted in `authserver_auth_denied_total`. Unset for a form sent incomplete.
   */
  readonly reason?: string;
  /** Seconds to send as `Retry-After`. */
  readonly retryAfter?: number;
}

/**
 * A way to log in, listed on the login page (local passwords, an upstream OpenID provider, a magic link…). The
 * provider only proves identity; the oauth plugin's `interactions` service checks the account, starts the session,
 * audits and returns to the authorization request. Routes: `GET /login/<name>` calls `begin`,
 * `GET|POST /login/<name>/callback` calls `callback` — unless the provider declares `paths` of its own.
 */
export interface IdentityProvider {
  /** The label of its entry on the login page. */
  readonly displayName: string;
  /**
   * Public paths of its own instead of `/login/<name>` and `/login/<name>/callback` (a redirect URI fixed by a public
   * contract, such as `/oidc/<id>/callback`): the login page links to `start`, `interaction.callbackUrl` is the
   * issuer followed by `callback`, and the interaction cookie is scoped to `callback`. The plugin that registers the
   * provider routes both paths to the `interactions` service (`begin`, `complete`); `/login/<name>…` answer 404.
   */
  readonly paths?: { readonly start: string; readonly callback: string };
  /**
   * An HTML fragment the login page shows inline (the email and password form), posting to the callback with
   * `interaction.fields`; after a failure it is shown again with the error and the fields sent (never re-fill a
   * secret). Without it the login page links to `GET /login/<name>`.
   */
  loginForm?(interaction: LoginInteraction, retry?: { error: string; fields: Readonly<Record<string, string>> }): string;
  /** Starts a login: answers with a page of its own (a form posting to the callback) or a redirect upstream. */
  begin(ctx: Context, interaction: LoginInteraction): Promise<void> | void;
  /**
   * The browser came back (GET or POST; the query and form are already checked for repeated parameters): the
   * proof, a failure, or `undefined` when the provider answered itself and nothing is finished yet (a "check your
   * inbox" page).
   */
  callback(ctx: Context, interaction: LoginInteraction): Promise<IdentityProof | LoginFailure | undefined>;
}

/**
 * One page of the admin console (`/admin/ui/`), contributed by the plugin that owns what it manages. The console's
 * bundle is built from the pages registered, so a server without the plugin has no page, route or code for it.
 */
export interface AdminPage {
  /** The page's route in the console, `/admin/ui/#/<path>`: lower-case words and dashes (`clients`). */
  readonly path: string;
  /** The navigation entry and the document title. */
  readonly title: string;
  /** An icon of the shell's set (`home`, `apps`, `people`, `key`, `shield`, `list`, `settings`, `link`). */
  readonly icon: string;
  /**
   * The page's source: an absolute file path or `file:` URL of a module defining `element` (TypeScript or
   * JavaScript; `new URL('./admin-ui/ap-clients-page.ts', import.meta.url)` from the plugin's index). It may import
   * `lit` and the shell's public elements from `authplane/admin-ui`, nothing else of the shell.
   */
  readonly module: string;
  /** The custom element the module defines and the console mounts for the route (`ap-clients-page`). */
  readonly element: string;
  /** What the signed-in operator needs to see it; `admin` (the admin API key or a user whose role is admin) today. */
  readonly permission: 'admin';
  /** The navigation group (`Overview`, `Manage`, `Security`, `System`); pages without one go under `Manage`. */
  readonly section?: string;
  /** Position within the section, smaller first (default 100). */
  readonly order?: number;
}

/**
 * What a plugin writes into the output directory of `authserver build`, beside the bundled server: things the
 * built server reads at run time but cannot make there (the admin console's prebuilt bundle, whose page sources a
 * build does not carry). Runs in the CLI's process after the bundle is written, with the registries of the config.
 */
export interface BuildStep {
  /** Writes into `outDir`; returns one line for the build report (what was written, its size). */
  run(build: { readonly outDir: string; readonly registries: ReadableRegistries }): Promise<string>;
}

/** Who an admin API request acts as when it was not authenticated by the admin API key: `user:<id>` for a user. */
export interface AdminPrincipal {
  /** The audit events' `actor_id`: `user:<id>` for a signed-in user of the console. */
  readonly actorId: `user:${string}`;
  /** Who the console says is signed in. */
  readonly user?: { readonly id: string; readonly email: string; readonly name: string };
}

export interface HookCatalog {
  /** Building each koa app: push middleware that runs before routing (rate limits, tracing); static documents (discovery, JWKS) are answered before it. */
  httpMiddleware: SyncHook<[Middleware[], ListenerName]>;
  /** (Re)building the discovery document — at boot and on `discovery.invalidate()`, never per request. */
  discoveryMetadata: SyncWaterfallHook<[DiscoveryDocument]>;
  /** Any client_id lookup; the first tap returning a client wins (database ids, CIMD URLs…). */
  resolveClient: AsyncSeriesBailHook<[string, RequestInfo], Client | undefined>;
  /** After client authentication, before the grant handler (DPoP proofs, per-client rate limits). */
  tokenRequest: AsyncSeriesHook<[TokenContext]>;
  /** Before one grant type's handler, keyed by grant_type. */
  grantRequest: HookMap<AsyncSeriesHook<[TokenContext]>>;
  /** Issuer, before signing: add or change access-token claims (`cnf`, `act`); `ctx.input.tokenContext` is the token request. Synchronous. */
  accessTokenClaims: SyncWaterfallHook<[JwtClaims, IssueContext]>;
  /** Before the token response the kernel built from the grant's result is written (e.g. `token_type: DPoP`); leave `access_token` and `token_type` alone when `ctx.vended` (an upstream token). Synchronous. */
  tokenResponse: SyncWaterfallHook<[TokenResponseBody, TokenContext]>;
  /** After `/oauth/authorize` parameters parse (e.g. `dpop_jkt`, PAR). */
  authorizeRequest: AsyncSeriesHook<[AuthorizeContext]>;
  /** `/oauth/introspect`: the first tap that recognises the token answers. */
  introspectToken: AsyncSeriesBailHook<[string, string | undefined, Client], TokenInfo | undefined>;
  /** Before an active introspection response is written. Synchronous. */
  introspectionResponse: SyncWaterfallHook<[Record<string, unknown>, TokenInfo]>;
  /** `/oauth/revoke`: the first tap that recognises the token revokes it and returns true. */
  revokeToken: AsyncSeriesBailHook<[string, string | undefined, Client], true | undefined>;
  /** Audit events in batches, after responses are written. */
  auditSinks: AsyncParallelHook<[AuditEvent[]]>;
  /**
   * An admin API request whose bearer is not the admin API key: the first tap that accepts the token (the console's
   * signed-in user, role checked per request) answers who acts; none, and the request is a 401.
   */
  adminAuthenticate: AsyncSeriesBailHook<[string, RequestInfo], AdminPrincipal | undefined>;
}

export interface RegistryCatalog {
  /** Boot, before migrations: `storage.driver` picks the knex configuration by name (`sqlite`, `postgres`). */
  storageDrivers: Registry<StorageDriver>;
  /** Boot and key rotation: `signing.keyStore` picks where signing keys are loaded from and saved to. */
  keyStores: Registry<KeyStoreFactory>;
  /**
   * Token, introspection and revocation requests: authenticates the client by `token_endpoint_auth_method`. The
   * kernel reads none, client_secret_basic and client_secret_post; another method reads the request in its `present`.
   */
  clientAuthMethods: Registry<ClientAuthenticator>;
  /** `POST /oauth/token`: the handler for one `grant_type` (`defineGrant`), after client authentication; it issues through `ctx.issueAccessToken` (or answers with an upstream token through `ctx.vendUpstreamToken`). */
  grantTypes: Registry<GrantHandler>;
  /** The login page lists them; `GET /login/<name>` calls `begin`, `GET|POST /login/<name>/callback` calls `callback` (oauth plugin), or the provider's own `paths`. */
  identityProviders: Registry<IdentityProvider>;
  /** `authserver purge`: deletes expired rows of one kind and reports how many. */
  purgeTargets: Registry<PurgeTarget>;
  /** CLI start: one `authserver` command per name (`admin key rotate`). */
  cliCommands: Registry<CliCommand>;
  /** Building the admin console's bundle (admin-ui plugin): one page per path, its element bundled from `module`. */
  adminPages: Registry<AdminPage>;
  /** `authserver build`, after the server is bundled: writes what the built server needs beside it (the admin console's bundle). */
  buildSteps: Registry<BuildStep>;
}

/** The registries as they stand after register, read-only: what the runtime and build steps are handed. */
export type ReadableRegistries = { readonly [K in keyof RegistryCatalog]: ReadableRegistry<Parameters<RegistryCatalog[K]['register']>[1]> };

export function createHookCatalog(): HookCatalog {
  return {
    httpMiddleware: new SyncHook(['middleware', 'listener']),
    discoveryMetadata: new SyncWaterfallHook(['document']),
    resolveClient: new AsyncSeriesBailHook(['clientId', 'request']),
    tokenRequest: new AsyncSeriesHook(['ctx']),
    grantRequest: new HookMap(() => new AsyncSeriesHook(['ctx'])),
    accessTokenClaims: new SyncWaterfallHook(['claims', 'ctx']),
    tokenResponse: new SyncWaterfallHook(['body', 'ctx']),
    authorizeRequest: new AsyncSeriesHook(['ctx']),
    introspectToken: new AsyncSeriesBailHook(['token', 'hint', 'client']),
    introspectionResponse: new SyncWaterfallHook(['body', 'info']),
    revokeToken: new AsyncSeriesBailHook(['token', 'hint', 'client']),
    auditSinks: new AsyncParallelHook(['events']),
    adminAuthenticate: new AsyncSeriesBailHook(['token', 'request']),
  };
}

export function createRegistryCatalog(): RegistryCatalog {
  return {
    storageDrivers: new Registry('storage driver'),
    keyStores: new Registry('key store'),
    clientAuthMethods: new Registry('client authentication method'),
    grantTypes: new Registry('grant type'),
    identityProviders: new Registry('identity provider'),
    purgeTargets: new Registry('purge target'),
    cliCommands: new Registry('CLI command'),
    adminPages: new Registry('admin page'),
    buildSteps: new Registry('build step'),
  };
}
