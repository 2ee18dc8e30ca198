import type { Context } from 'koa';
import { PageError, readForm, readQuery, type FormParams, type RegisterApi } from 'authplane';
import { auditBase, sendPage, type OAuthState } from './context.js';
import type { Interactions } from './interactions.js';
import type { ReturnPaths } from './return-paths.js';
import { logoutPage, messagePage } from './views/login.js';

/**
 * The login page and every provider's routes: `GET /login` lists `identityProviders`, `GET /login/<name>` starts
 * one (`begin`), `GET|POST /login/<name>/callback` hears back from it (`callback`) and ends through the
 * `interactions` service. `POST /login` is the local provider's form.
 */
export function registerLogin(api: RegisterApi, state: OAuthState, interactions: Interactions, returnPaths: ReturnPaths): void {
  const safeReturnTo = (value: string | undefined) => returnPaths.check(value);
  const page = { errors: 'page' } as const;
  const provider = (name: string) => {
    const found = state.runtime().registries.identityProviders.get(name);
    if (!found) throw new PageError(404, 'Not found', `There is no sign-in method called '${name}'.`);
    return found;
  };

  /** A provider's answer: the proof ends the login, a failure is shown, nothing means it answered itself. */
  const callback = async (ctx: Context, name: string, params: FormParams) => {
    const idp = provider(name);
    const interaction = interactions.current(ctx, name, params);
    if (!interaction) {
      // Nothing was tried yet, so nothing is audited: the person starts again, keeping where they were going.
      const error = ctx.method === 'POST' ? 'The form expired. Please sign in again.' : 'This sign-in expired or was started in another browser. Please start again.';
      return interactions.fail(ctx, { provider: name, returnTo: safeReturnTo(params.return_to) }, { error, status: 400 });
    }
    const result = await idp.callback(ctx, interaction);
    if (!result) return;
    if ('userId' in result) return interactions.finish(ctx, interaction, result);
    interactions.fail(ctx, interaction, result);
  };

  api.route('public', 'GET', '/login', async (ctx) => {
    const returnTo = safeReturnTo(readQuery(ctx).return_to);
    const session = await state.sessions().current(ctx);
    if (session && returnTo) return ctx.redirect(returnTo);
    if (session) {
      const user = await state.runtime().use('users').get(session.userId);
      return sendPage(ctx, 200, messagePage('Signed in', `You are signed in as ${user?.email ?? 'unknown'}.`));
    }
    sendPage(ctx, 200, interactions.page(ctx, returnTo));
  }, page);

  api.route('public', 'POST', '/login', async (ctx) => callback(ctx, 'local', readForm(ctx)), page);

  api.route('public', 'GET', '/login/:name', async (ctx) => {
    // Parameters first: a repeated one is refused whichever provider is named. `start` checks return_to.
    const returnTo = readQuery(ctx).return_to;
    const name = ctx.params.name as string;
    await provider(name).begin(ctx, interactions.start(ctx, name, returnTo));
  }, page);

  api.route('public', 'GET', '/login/:name/callback', async (ctx) => callback(ctx, ctx.params.name as string, readQuery(ctx)), page);
  api.route('public', 'POST', '/login/:name/callback', async (ctx) => callback(ctx, ctx.params.name as string, readForm(ctx)), page);

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
