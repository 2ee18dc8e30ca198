import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { cookieJar } from './cookie-writer.js';

export const INTERACTION_COOKIE = 'ap_login';
/** Long enough to get through an upstream's login page or an inbox, short enough that a stale one is refused. */
export const INTERACTION_TTL_SECONDS = 600;

/** What survives the round trip to an upstream provider: for which provider, where to go after, and its state. */
export interface InteractionRecord {
  provider: string;
  returnTo: string | undefined;
  state: string;
  expiresAt: number;
}

/**
 * The interaction of a browser, in an HMAC-signed cookie scoped to /login, or to the callback path of a provider
 * with paths of its own (HttpOnly, SameSite=Lax: a cross-site POST cannot carry it). Stateless, so any replica
 * answers the callback; one per browser and path, a new `begin` replaces it.
 */
export class InteractionCookie {
  readonly #secret: string;
  readonly #secure: boolean;

  constructor(secret: string, issuer: string, private readonly now: () => number) {
    this.#secret = secret;
    this.#secure = issuer.startsWith('https:');
  }

  #sign(payload: string): string {
    // A purpose prefix keeps these signatures apart from the session cookie's, made with the same secret.
    return createHmac('sha256', this.#secret).update(`interaction:${payload}`).digest('base64url');
  }

  #options(maxAgeMs: number, path: string) {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.#secure, path, overwrite: true, signed: false, maxAge: maxAgeMs };
  }

  start(ctx: Context, provider: string, returnTo: string | undefined, path = '/login'): InteractionRecord {
    const record = {
      provider,
      returnTo,
      state: randomBytes(24).toString('base64url'),
      expiresAt: this.now() + INTERACTION_TTL_SECONDS * 1000,
    };
    const payload = Buffer.from(JSON.stringify([record.provider, record.returnTo ?? '', record.state, record.expiresAt])).toString('base64url');
    cookieJar(ctx, this.#secure).set(INTERACTION_COOKIE, `${payload}.${this.#sign(payload)}`, this.#options(INTERACTION_TTL_SECONDS * 1000, path));
    return record;
  }

  /** The browser's current interaction, if its signature holds and it has not expired. */
  read(ctx: Context): InteractionRecord | undefined {
    const raw = ctx.cookies.get(INTERACTION_COOKIE);
    const dot = raw?.indexOf('.') ?? -1;
    if (!raw || dot < 1) return undefined;
    const payload = raw.slice(0, dot);
    const signature = Buffer.from(raw.slice(dot + 1));
    const expected = Buffer.from(this.#sign(payload));
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
    const [provider, returnTo, state, expiresAt] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, string, string, number];
    if (expiresAt <= this.now()) return undefined;
    return { provider, returnTo: returnTo || undefined, state, expiresAt };
  }

  clear(ctx: Context, path = '/login'): void {
    if (ctx.cookies.get(INTERACTION_COOKIE) !== undefined) cookieJar(ctx, this.#secure).set(INTERACTION_COOKIE, '', this.#options(0, path));
  }
}
