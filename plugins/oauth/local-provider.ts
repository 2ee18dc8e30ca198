/**
 * The `local` identity provider: email and password against the `users` service, with the failed-login lockout.
 * Its form is shown inline on the login page and posts to /login (its URL from before providers existed; its
 * `/login/local/callback` answers the same way).
 */
import { clientKey, readForm, type IdentityProvider } from 'authplane';
import type { OAuthState } from './context.js';
import { passwordForm } from './views/login.js';

const GENERIC_FAILURE = 'Invalid email or password.';

export function localProvider(state: OAuthState): IdentityProvider {
  return {
    displayName: 'Email and password',

    loginForm: (interaction, retry) =>
      passwordForm({ fields: interaction.fields, email: retry?.fields.email?.trim(), error: retry?.error }),

    begin(ctx, interaction) {
      // Its form is on the login page itself.
      ctx.redirect(interaction.returnTo ? `/login?${new URLSearchParams({ return_to: interaction.returnTo })}` : '/login');
    },

    async callback(ctx) {
      const form = ctx.method === 'POST' ? readForm(ctx) : {};
      const email = (form.email ?? '').trim();
      if (!email || !form.password) return { error: 'Enter your email and password.', status: 400 };

      const lockout = state.lockout();
      // The identity the rate limit counts too: one IPv6 host cannot step through its /64 to reset the count.
      const key = lockout.key(email, clientKey(ctx.state.clientIp as string));
      const lockedOut = (seconds: number) =>
        ({ error: 'Too many failed attempts. Try again later.', status: 429, reason: 'locked_out', retryAfter: seconds }) as const;
      // Counted before the slow password check: parallel guesses each see the others' attempts.
      const wait = await lockout.begin(key);
      if (wait > 0) return lockedOut(wait);

      const user = await state.runtime().use('users').verifyPassword(email, form.password);
      if (!user) {
        const locked = await lockout.fail(key);
        if (locked > 0) return lockedOut(locked);
        return { error: GENERIC_FAILURE, status: 401, reason: 'invalid_credentials' };
      }
      // Parallel failures may have locked the pair while this password was being checked.
      const lockedMeanwhile = await lockout.succeed(key);
      if (lockedMeanwhile > 0) return lockedOut(lockedMeanwhile);
      return { userId: user.id, amr: ['pwd'] };
    },
  };
}
