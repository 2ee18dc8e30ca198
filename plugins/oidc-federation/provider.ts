/**
 * One upstream OpenID provider on the identity-provider seam. `begin` sends the browser upstream with state (the
 * interaction's), a nonce and a PKCE challenge; `callback` redeems the code, lets openid-client check the ID token,
 * and finds the user by (provider, sub) — creating one on a first login, never taking over an account by its email.
 * It proves identity only: the session, `user_login` and the way back are the `interactions` service's.
 */
import type { Context } from 'koa';
import {
  PageError,
  readQuery,
  type IdentityProof,
  type IdentityProvider,
  type LoginFailure,
  type LoginInteraction,
  type RuntimeApi,
} from 'authplane';
import type { Histogram } from 'prom-client';
import { calculatePKCECodeChallenge, randomNonce, randomPKCECodeVerifier, type IDToken } from 'openid-client';
import type { User, UserDirectory } from '../users/types.js';
import type { LoginAttempts } from './attempts.js';
import { roleFor } from './roles.js';
import { ExchangeFailure, type Upstream } from './upstream.js';

export interface ProviderDependencies {
  runtime: () => RuntimeApi;
  users: () => UserDirectory;
  attempts: LoginAttempts;
  exchangeDuration: Histogram<'provider' | 'outcome'>;
}

/** What the person reads for each reason; the reason itself goes to the audit trail and the log. */
const SUB_MAX_LENGTH = 255;

const MESSAGES: Record<string, { status: number; error: string }> = {
  invalid_state: { status: 400, error: 'This sign-in could not be verified. Please start again.' },
  nonce_mismatch: { status: 400, error: 'This sign-in could not be verified. Please start again.' },
  id_token_expired: { status: 400, error: 'The sign-in took too long or the clocks disagree. Please start again.' },
  invalid_id_token: { status: 502, error: 'The identity provider answered with a token that failed verification.' },
  invalid_subject: { status: 502, error: 'The identity provider answered with a subject identifier this server cannot keep.' },
  token_request_refused: { status: 502, error: 'The identity provider refused to complete the sign-in. Please start again.' },
  upstream_unreachable: { status: 502, error: 'The identity provider could not be reached. Please try again later.' },
  upstream_error: { status: 403, error: 'The identity provider did not complete the sign-in.' },
  exchange_failed: { status: 502, error: 'The sign-in with the identity provider failed.' },
  misconfigured: { status: 500, error: 'This sign-in method is misconfigured. Please tell an administrator.' },
  email_missing: { status: 403, error: 'The identity provider did not share an email address, which an account needs.' },
  email_unverified: { status: 403, error: 'The identity provider says this email address is not verified.' },
  email_in_use: {
    status: 409,
    error: 'An account with this email address already exists. It was not linked to this sign-in: ask an administrator to link them, or sign in the way you did before.',
  },
  user_disabled: { status: 403, error: 'This account cannot sign in.' },
};

export function upstreamIdentityProvider(upstream: Upstream, deps: ProviderDependencies): IdentityProvider {
  const { id } = upstream.options;
  // Filled in by the schema's default; optional only in the type.
  const roles = upstream.options.roles ?? [];
  const runtime = deps.runtime;
  const auditBase = (ctx: Context) => ({ ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string });

  const failure = (ctx: Context, reason: string, detail: Record<string, unknown> = {}): LoginFailure => {
    runtime().audit.emit({ action: 'user_oidc_login_failed', ...auditBase(ctx), detail: { ...detail, provider: id, reason } });
    const { status, error } = MESSAGES[reason] ?? MESSAGES.exchange_failed!;
    return { status, error, reason };
  };

  /** The user for the ID token: linked before, or created now. */
  const userFor = async (ctx: Context, claims: IDToken): Promise<{ user: User; created: boolean } | LoginFailure> => {
    // OpenID Connect Core §2: `sub` is at most 255 ASCII characters, the width user_identities keeps.
    if (claims.sub.length > SUB_MAX_LENGTH) return failure(ctx, 'invalid_subject', { subject: claims.sub.slice(0, 64) });
    const users = deps.users();
    const linked = await users.findByIdentity(id, claims.sub);
    if (linked) return { user: linked, created: false };
    const email = typeof claims.email === 'string' ? claims.email.trim() : '';
    // A user needs an email; one the upstream says it did not verify would claim someone else's address.
    if (!email || email.length > 320 || !email.includes('@')) return failure(ctx, 'email_missing', { subject: claims.sub });
    if (claims.email_verified === false) return failure(ctx, 'email_unverified', { subject: claims.sub });
    const name = [claims.name, claims.preferred_username, email].find((v): v is string => typeof v === 'string' && v.trim() !== '')!;
    const made = await users.createForIdentity({ provider: id, subject: claims.sub, email, name, role: roleFor(roles, claims) });
    if ('conflict' in made) return failure(ctx, 'email_in_use', { subject: claims.sub, email: email.toLowerCase() });
    return made;
  };

  return {
    displayName: upstream.options.displayName,
    paths: { start: `/oidc/${id}/start`, callback: `/oidc/${id}/callback` },

    async begin(ctx, interaction) {
      if (!upstream.ready) throw new PageError(503, 'Sign-in unavailable', `Sign-in with ${upstream.options.displayName} is not available yet. Please try again shortly.`);
      const codeVerifier = randomPKCECodeVerifier();
      const nonce = randomNonce();
      await deps.attempts.save(id, interaction.state, { nonce, codeVerifier });
      const url = upstream.authorizationUrl({
        redirectUri: interaction.callbackUrl,
        state: interaction.state,
        nonce,
        codeChallenge: await calculatePKCECodeChallenge(codeVerifier),
      });
      ctx.set('Cache-Control', 'no-store');
      ctx.redirect(url.toString());
    },

    async callback(ctx, interaction: LoginInteraction): Promise<IdentityProof | LoginFailure> {
      const query = readQuery(ctx);
      // Consumed whatever the answer: a callback is heard once.
      const attempt = await deps.attempts.consume(id, interaction.state);
      if (query.error !== undefined) {
        return failure(ctx, 'upstream_error', { error: query.error.slice(0, 100) });
      }
      if (!attempt) return failure(ctx, 'invalid_state');
      const callbackUrl = new URL(interaction.callbackUrl);
      callbackUrl.search = new URLSearchParams(query).toString();
      const started = process.hrtime.bigint();
      const observe = (outcome: string) => deps.exchangeDuration.observe({ provider: id, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      let claims: IDToken;
      try {
        claims = await upstream.exchange(callbackUrl, { state: interaction.state, nonce: attempt.nonce, codeVerifier: attempt.codeVerifier });
        observe('success');
      } catch (err) {
        if (!(err instanceof ExchangeFailure)) throw err;
        observe(err.reason);
        runtime().log.warn({ provider: id, reason: err.reason, err: err.message, request_id: ctx.state.requestId }, 'upstream sign-in failed');
        return failure(ctx, err.reason);
      }
      const found = await userFor(ctx, claims);
      if (!('user' in found)) return found;
      let { user } = found;
      if (!found.created && roles.length) {
        const role = roleFor(roles, claims);
        if (role !== user.role) {
          await deps.users().setRole(user.id, role);
          user = { ...user, role };
        }
      }
      // Refused here too (finish would), so `user_oidc_login` is only ever a login that happened.
      if (user.status !== 'active') return failure(ctx, 'user_disabled', { subject: claims.sub, user_id: user.id });
      runtime().audit.emit({
        action: 'user_oidc_login',
        actor_id: user.id,
        user_id: user.id,
        ...auditBase(ctx),
        detail: { provider: id, issuer: claims.iss, subject: claims.sub, created: found.created, role: user.role },
      });
      return { userId: user.id, amr: ['fed'], detail: { issuer: claims.iss, subject: claims.sub } };
    },
  };
}
