/**
 * The browser half of a connect: a random nonce in a cookie of the browser that started it, also sealed in the
 * state. The callback accepts a state only from the browser holding its nonce, so a link with someone else's state
 * (login CSRF: an attacker's code attached to the victim's account) is refused. One cookie per provider, so
 * connecting two providers at once in one browser works; starting the same provider again replaces it.
 *
 * HttpOnly; SameSite=Lax, which a top-level redirect back from the upstream still carries; Path=/connect/;
 * Secure when the issuer is https (TLS usually ends at a proxy, so the socket cannot tell).
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { CONNECT_STATE_TTL_MS } from './state.js';

const cookieName = (providerSlug: string) => `ap_connect_${providerSlug}`;

export class NonceCookie {
  readonly #secure: boolean;

  constructor(issuer: string) {
    this.#secure = issuer.startsWith('https:');
  }

  #jar(ctx: Context): Context['cookies'] {
    const jar = ctx.cookies;
    if (this.#secure) jar.secure = true;
    return jar;
  }

  #options(maxAge: number) {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.#secure, path: '/connect/', overwrite: true, signed: false, maxAge };
  }

  /** A new nonce, set in this browser for `providerSlug`'s callback. */
  issue(ctx: Context, providerSlug: string): string {
    const nonce = randomBytes(24).toString('base64url');
    this.#jar(ctx).set(cookieName(providerSlug), nonce, this.#options(CONNECT_STATE_TTL_MS));
    return nonce;
  }

  read(ctx: Context, providerSlug: string): string | undefined {
    return ctx.cookies.get(cookieName(providerSlug)) || undefined;
  }

  /** The nonce is single use: cleared once a callback has checked it, whatever the outcome. */
  clear(ctx: Context, providerSlug: string): void {
    if (ctx.cookies.get(cookieName(providerSlug)) !== undefined) this.#jar(ctx).set(cookieName(providerSlug), '', this.#options(0));
  }
}
