import type { Context } from 'koa';
import { clientKey, readForm, readQuery, type RegisterApi } from 'authplane';
import { auditBase, sendPage, type OAuthState } from './context.js';
import { loginPage, logoutPage, messagePage } from './views/login.js';

const GENERIC_FAILURE = 'Invalid email or password.';

/** Only our own authorization and consent URLs may be returned to after login: no open redirect. */
export function safeReturnTo(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return /^\/(oauth\/authorize|consent)\?[^\\]*$/.test(value) && !value.startsWith('//') ? value : undefined;
}

export function registerLogin(api: RegisterApi, state: OAuthState): void {
  const page = { errors: 'page' } as const;

  api.route('public', 'GET', '/login', async (ctx) => {
    const returnTo = safeReturnTo(readQuery(ctx).return_to);
    const session = await state.sessions().current(ctx);
    if (session && returnTo) return ctx.redirect(returnTo);
    if (session) {
      const user = await state.runtime().use('users').get(session.userId);
      return sendPage(ctx, 200, messagePage('Signed in', `You are signed in as ${user?.email ?? 'unknown'}.`));
    }
    sendPage(ctx, 200, loginPage({ csrf: state.sessions().csrfToken(ctx), returnTo: returnTo ?? '' }));
  }, page);

  api.route('public', 'POST', '/login', async (ctx) => login(ctx, state), page);

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

async function login(ctx: Context, state: OAuthState): Promise<void> {
  const form = readForm(ctx);
  const returnTo = safeReturnTo(form.return_to);
  const sessions = state.sessions();
  const email = (form.email ?? '').trim();
  const retry = (status: number, error: string) =>
    sendPage(ctx, status, loginPage({ csrf: sessions.csrfToken(ctx), returnTo: returnTo ?? '', email, error }));
  if (!sessions.checkCsrf(ctx, form.csrf_token)) return retry(400, 'The form expired. Please sign in again.');
  if (!email || !form.password) return retry(400, 'Enter your email and password.');

  const runtime = state.runtime();
  const lockout = state.lockout();
  // The identity the rate limit counts too: one IPv6 host cannot step through its /64 to reset the count.
  const key = lockout.key(email, clientKey(ctx.state.clientIp as string));
  const lockedOut = (seconds: number) => {
    state.denied.inc({ reason: 'locked_out' });
    runtime.audit.emit({ action: 'user_login_failed', detail: { reason: 'locked_out' }, ...auditBase(ctx) });
    ctx.set('Retry-After', String(seconds));
    retry(429, 'Too many failed attempts. Try again later.');
  };
  // Counted before the slow password check: parallel guesses each see the others' attempts.
  const wait = await lockout.begin(key);
  if (wait > 0) return lockedOut(wait);

  const users = runtime.use('users');
  const user = await users.verifyPassword(email, form.password);
  if (!user) {
    const locked = await lockout.fail(key);
    if (locked > 0) return lockedOut(locked);
    state.denied.inc({ reason: 'invalid_credentials' });
    runtime.audit.emit({ action: 'user_login_failed', detail: { reason: 'invalid_credentials' }, ...auditBase(ctx) });
    return retry(401, GENERIC_FAILURE);
  }
  // Parallel failures may have locked the pair while this password was being checked.
  const lockedMeanwhile = await lockout.succeed(key);
  if (lockedMeanwhile > 0) return lockedOut(lockedMeanwhile);
  await sessions.create(ctx, user.id);
  await users.recordLogin(user.id);
  runtime.audit.emit({ action: 'user_login', actor_id: user.id, user_id: user.id, ...auditBase(ctx) });
  if (returnTo) {
    ctx.redirect(returnTo);
    ctx.status = 303; // RFC 9110 §15.4.4: the browser follows a POST's 303 with a GET
    return;
  }
  sendPage(ctx, 200, messagePage('Signed in', `You are signed in as ${user.email}.`));
}
