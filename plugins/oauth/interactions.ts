/**
 * The `interactions` service: how a login, whichever provider proved it, ends. In the spirit of oidc-provider's
 * `interactionFinished`: an identity provider only proves who is signing in; checking the account, the session,
 * the audit and the way back to the authorization request are done once, here.
 */
import type { Context } from 'koa';
import { PageError, readForm, type IdentityProof, type IdentityProvider, type LoginFailure, type LoginInteraction } from 'authplane';
import { auditBase, returnToSource, sendPage, type OAuthState } from './context.js';
import { InteractionCookie } from './interaction-cookie.js';
import type { ReturnPaths } from './return-paths.js';
import { loginFailedPage, loginPage, messagePage, type LoginEntry } from './views/login.js';

export interface Interactions {
  /**
   * Starts a login with `provider` in this browser (replacing any other): what `GET /login/<name>` hands to `begin`.
   * A `returnTo` that is neither one of our authorize or consent URLs nor under a prefix `allowReturnPath`
   * registered is dropped.
   */
  start(ctx: Context, provider: string, returnTo: string | undefined): LoginInteraction;
  /**
   * The login this browser has in progress with `provider`: on GET the one `start` put in its cookie; on POST only
   * with a valid `csrf_token` field, and then the cookie's, else the one the form's `return_to` names (a form on the
   * login page itself). Undefined otherwise: the provider must not be asked.
   */
  current(ctx: Context, provider: string, params: Readonly<Record<string, string>>): LoginInteraction | undefined;
  /**
   * Completes a login: the user must exist and be active; then the session, `recordLogin`, the `user_login` audit
   * event (detail: provider, amr) and a 303 to the interaction's return_to, or the signed-in page.
   */
  finish(ctx: Context, interaction: LoginInteraction, proof: IdentityProof): Promise<void>;
  /**
   * A provider's start route: starts an interaction with it (`start`) and calls its `begin`. An unknown or disabled
   * provider is an HTML 404. What a provider with `paths` of its own routes its `start` path to.
   */
  begin(ctx: Context, provider: string, returnTo: string | undefined): Promise<void>;
  /**
   * A provider's callback route, with the query (GET) or form (POST): the browser's interaction (`current`), else a
   * "start again" page without asking the provider; then the provider's `callback`, and `finish` or `fail` with its
   * answer. What a provider with `paths` of its own routes its `callback` path to.
   */
  complete(ctx: Context, provider: string, params: Readonly<Record<string, string>>): Promise<void>;
  /**
   * The registered provider by this name, unless it is disabled; an HTML 404 otherwise.
   */
  provider(name: string): IdentityProvider;
  /**
   * Takes a registered provider off this server (call in register): it leaves the login page and its routes answer
   * 404 (`oidcFederation({ showLocalLogin: false })` takes off `local`, and `POST /login` with it).
   */
  disable(provider: string): void;
  /** The names of the providers a person can log in with: registered and not disabled, in registration order. */
  enabled(): string[];
  /** Answers a failure: audited and counted when it has a reason; the login page again, or an error page. */
  fail(ctx: Context, interaction: Pick<LoginInteraction, 'provider' | 'returnTo'>, failure: LoginFailure): void;
  /** The login page: every registered provider, inline forms first; `retry` shows one provider's form again. */
  page(ctx: Context, returnTo: string | undefined, retry?: { provider: string; error: string; fields: Readonly<Record<string, string>> }): string;
  /** The signed-in user's id: this browser's session is valid and its user active; undefined otherwise. */
  signedInUser(ctx: Context): Promise<string | undefined>;
  /**
   * Lets a login come back to paths under `prefix` (an absolute path of whole segments ending in `/`, such as
   * `/connect/`), for a plugin whose browser routes need a signed-in user. Call it in register: a later call, or a
   * prefix of another shape, stops boot (AP_ERR_OAUTH_RETURN_PATH_INVALID).
   */
  allowReturnPath(prefix: string): void;
  /**
   * Answers with a 303 to the login page, which comes back to `returnTo` once signed in: a same-origin path (and
   * query) under a prefix `allowReturnPath` registered, as a browser would resolve it unchanged — no `//`, no
   * backslash, no dot segments. Anything else is dropped: the login then ends on the signed-in page.
   */
  loginRedirect(ctx: Context, returnTo: string): void;
}

declare module 'authplane' {
  interface Services {
    interactions: Interactions;
  }
}

const loginPath = (path: string, returnTo: string | undefined) =>
  returnTo ? `${path}?${new URLSearchParams({ return_to: returnTo })}` : path;

export function createInteractions(state: OAuthState, issuer: string, secret: () => string, returnPaths: ReturnPaths): Interactions {
  const safeReturnTo = (value: string | undefined) => returnPaths.check(value);
  let made: InteractionCookie | undefined;
  // Made on first use, like the session store: the secret is settled once the server boots.
  const cookies = () => (made ??= new InteractionCookie(secret(), issuer, () => state.runtime().now()));
  const providers = () => state.runtime().registries.identityProviders;
  const disabled = new Set<string>();
  // Where a provider's interaction cookie is sent back: its own callback path, or every /login/… route.
  const cookiePath = (provider: string) => providers().get(provider)?.paths?.callback ?? '/login';

  const interaction = (ctx: Context, provider: string, returnTo: string | undefined, stateValue?: string): LoginInteraction => {
    const csrf = state.sessions().csrfToken(ctx);
    const own = providers().get(provider)?.paths?.callback;
    return {
      provider,
      returnTo,
      state: stateValue ?? csrf,
      callbackUrl: own ? `${issuer}${own}` : `${issuer}/login/${encodeURIComponent(provider)}/callback`,
      fields: { csrf_token: csrf, return_to: returnTo ?? '' },
    };
  };

  const service: Interactions = {
    start(ctx, provider, returnTo) {
      const record = cookies().start(ctx, provider, safeReturnTo(returnTo), cookiePath(provider));
      return interaction(ctx, provider, record.returnTo, record.state);
    },

    async begin(ctx, name, returnTo) {
      const idp = service.provider(name);
      await idp.begin(ctx, service.start(ctx, name, returnTo));
    },

    async complete(ctx, name, params) {
      const idp = service.provider(name);
      const current = service.current(ctx, name, params);
      if (!current) {
        // Nothing was tried yet, so nothing is audited: the person starts again, keeping where they were going.
        const error = ctx.method === 'POST' ? 'The form expired. Please sign in again.' : 'This sign-in expired or was started in another browser. Please start again.';
        return service.fail(ctx, { provider: name, returnTo: safeReturnTo(params.return_to) }, { error, status: 400 });
      }
      const result = await idp.callback(ctx, current);
      if (!result) return;
      if ('userId' in result) return service.finish(ctx, current, result);
      service.fail(ctx, current, result);
    },

    provider(name) {
      const found = disabled.has(name) ? undefined : providers().get(name);
      if (!found) throw new PageError(404, 'Not found', `There is no sign-in method called '${name}'.`);
      return found;
    },

    disable(name) {
      disabled.add(name);
    },

    enabled() {
      return [...providers().entries()].map(([name]) => name).filter((name) => !disabled.has(name));
    },

    current(ctx, provider, params) {
      const record = cookies().read(ctx);
      const started = record?.provider === provider ? record : undefined;
      // A POST must be a form of ours (SameSite=Lax keeps the cookie from other sites, not from sibling hosts);
      // a GET — a link anyone could make a browser follow — must come back to an interaction this browser started.
      if (ctx.method === 'POST') {
        if (!state.sessions().checkCsrf(ctx, params.csrf_token)) return undefined;
        return started ? interaction(ctx, provider, started.returnTo, started.state) : interaction(ctx, provider, safeReturnTo(params.return_to));
      }
      return started && interaction(ctx, provider, started.returnTo, started.state);
    },

    async finish(ctx, done, proof) {
      const runtime = state.runtime();
      const users = runtime.use('users');
      const user = await users.get(proof.userId);
      if (!user || user.status !== 'active') {
        return service.fail(ctx, done, { error: 'This account cannot sign in.', status: 403, reason: user ? 'user_disabled' : 'unknown_user' });
      }
      await state.sessions().create(ctx, user.id);
      cookies().clear(ctx, cookiePath(done.provider));
      await users.recordLogin(user.id);
      runtime.audit.emit({
        action: 'user_login',
        actor_id: user.id,
        user_id: user.id,
        ...auditBase(ctx),
        detail: Object.assign({}, proof.detail, { provider: done.provider, amr: [...proof.amr] }),
      });
      // Checked again here: a plugin may call finish with an interaction of its own making.
      const returnTo = safeReturnTo(done.returnTo);
      if (returnTo) {
        ctx.redirect(returnTo);
        ctx.status = 303; // RFC 9110 §15.4.4: the browser follows a POST's 303 with a GET
        return;
      }
      sendPage(ctx, 200, messagePage('Signed in', `You are signed in as ${user.email}.`));
    },

    fail(ctx, failed, failure) {
      if (failure.reason) {
        state.denied.inc({ reason: failure.reason });
        state.runtime().audit.emit({ action: 'user_login_failed', detail: { reason: failure.reason, provider: failed.provider }, ...auditBase(ctx) });
      }
      if (failure.retryAfter !== undefined) ctx.set('Retry-After', String(failure.retryAfter));
      if (!disabled.has(failed.provider) && providers().get(failed.provider)?.loginForm) {
        const fields = ctx.method === 'POST' ? readForm(ctx) : {};
        return sendPage(
          ctx,
          failure.status,
          service.page(ctx, failed.returnTo, { provider: failed.provider, error: failure.error, fields }),
          returnToSource(failed.returnTo),
        );
      }
      sendPage(ctx, failure.status, loginFailedPage(failure.error, loginPath('/login', failed.returnTo)));
    },

    page(ctx, returnTo, retry) {
      const entries: LoginEntry[] = [];
      for (const [name, provider] of providers().entries()) {
        if (disabled.has(name)) continue;
        if (provider.loginForm) {
          const again = retry?.provider === name ? { error: retry.error, fields: retry.fields } : undefined;
          entries.push({ form: provider.loginForm(interaction(ctx, name, returnTo), again) });
        } else {
          entries.push({ href: loginPath(provider.paths?.start ?? `/login/${encodeURIComponent(name)}`, returnTo), label: provider.displayName });
        }
      }
      const unplaced = retry && (disabled.has(retry.provider) || !providers().get(retry.provider)?.loginForm) ? retry.error : undefined;
      return loginPage(entries, unplaced);
    },

    async signedInUser(ctx) {
      const session = await state.sessions().current(ctx);
      if (!session) return undefined;
      const user = await state.runtime().use('users').get(session.userId);
      return user?.status === 'active' ? user.id : undefined;
    },

    allowReturnPath(prefix) {
      returnPaths.allow(prefix);
    },

    loginRedirect(ctx, returnTo) {
      const back = safeReturnTo(returnTo);
      if (back === undefined) {
        // The caller's bug (a path outside its registered prefixes), not the person's: say so, never the path itself.
        state.runtime().log.warn({ request_id: ctx.state.requestId }, 'loginRedirect: return path not under a registered prefix; dropped');
      }
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(loginPath('/login', back));
      ctx.status = 303; // RFC 9110 §15.4.4: a GET either way, whatever method brought the browser here
    },
  };
  return service;
}
