import { PageError, readForm, readQuery, type RegisterApi } from 'authplane';
import { auditBase, returnToSource, sendPage, type OAuthState } from './context.js';
import type { Interactions } from './interactions.js';
import type { ReturnPaths } from './return-paths.js';
import { logoutPage, messagePage } from './views/login.js';

/**
 * The login page and every provider's routes: `GET /login` lists `identityProviders`, `GET /login/<name>` starts
 * one (`begin`), `GET|POST /login/<name>/callback` hears back from it (`callback`) and ends through the
 * `interactions` service. `POST /login` is the local provider's form. A provider with `paths` of its own is served
 * there by its plugin, through the same service.
 */
export function registerLogin(api: RegisterApi, state: OAuthState, interactions: Interactions, returnPaths: ReturnPaths): void {
  const safeReturnTo = (value: string | undefined) => returnPaths.check(value);
  const page = { errors: 'page' } as const;
  /** `/login/<name>…` serve providers without paths of their own; the others are reached at their own paths only. */
  const atLoginPaths = (name: string) => {
    if (interactions.provider(name).paths) throw new PageError(404, 'Not found', `There is no sign-in method called '${name}'.`);
    return name;
  };

  api.route('public', 'GET', '/login', async (ctx) => {
    const returnTo = safeReturnTo(readQuery(ctx).return_to);
    const session = await state.sessions().current(ctx);
    if (session && returnTo) return ctx.redirect(returnTo);
    if (session) {
      const user = await state.runtime().use('users').get(session.userId);
      return sendPage(ctx, 200, messagePage('Signed in', `You are signed in as ${user?.email ?? 'unknown'}.`));
    }
    sendPage(ctx, 200, interactions.page(ctx, returnTo), returnToSource(returnTo));
  }, page);

  // The local provider's callback at its historic URL: a 404 like any other route of a disabled provider.
  api.route('public', 'POST', '/login', async (ctx) => interactions.complete(ctx, 'local', readForm(ctx)), page);

  api.route('public', 'GET', '/login/:name', async (ctx) => {
    // Parameters first: a repeated one is refused whichever provider is named. `start` checks return_to.
    const returnTo = readQuery(ctx).return_to;
    await interactions.begin(ctx, atLoginPaths(ctx.params.name as string), returnTo);
  }, page);

  api.route('public', 'GET', '/login/:name/callback', async (ctx) => {
    const params = readQuery(ctx);
    await interactions.complete(ctx, atLoginPaths(ctx.params.name as string), params);
  }, page);
  api.route('public', 'POST', '/login/:name/callback', async (ctx) => {
    const params = readForm(ctx);
    await interactions.complete(ctx, atLoginPaths(ctx.params.name as string), params);
  }, page);

  api.route('public', 'GET', '/logout', async (ctx) => {
    sendPage(ctx, 200, logoutPage(state.sessions().csrfToken(ctx)));
  }, page);

  api.route('public', 'POST', '/logout', async (ctx) => {
    const form = readForm(ctx);
    if (!state.sessions().checkCsrf(ctx, form.csrf_token)) {
      return sendPage(ctx, 403, messagePage('Sign out failed', 'The form expired. Please try again.'));
    }
    const session = await state.sessions().current(ctx);
    await state.sessions().end(ctx);
    if (session) state.runtime().audit.emit({ action: 'user_logout', actor_id: session.userId, user_id: session.userId, ...auditBase(ctx) });
    sendPage(ctx, 200, messagePage('Signed out', 'You are signed out.'));
  }, page);
}
