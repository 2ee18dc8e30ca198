import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { cookieJar } from './cookie-writer.js';
import type { Knex } from 'knex';

export const SESSION_COOKIE = 'ap_session';
const CSRF_COOKIE = 'ap_csrf';

export interface Session {
  id: string;
  userId: string;
  expiresAt: number;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Login sessions: a random id in an HMAC-signed cookie (HttpOnly, SameSite=Lax, Secure for https issuers), backed by
 * a `sessions` row so a logout or a force-logout ends it on every replica.
 */
export class Sessions {
  readonly #secret: string;
  readonly #secure: boolean;

  constructor(
    secret: string,
    issuer: string,
    private readonly ttlSeconds: number,
    private readonly db: () => Knex,
  ) {
    this.#secret = secret;
    this.#secure = issuer.startsWith('https:');
  }

  #sign(value: string): string {
    return createHmac('sha256', this.#secret).update(value).digest('base64url');
  }

  #cookieOptions(maxAgeMs?: number) {
    return { httpOnly: true, sameSite: 'lax' as const, secure: this.#secure, path: '/', overwrite: true, signed: false, maxAge: maxAgeMs };
  }

  async create(ctx: Context, userId: string): Promise<Session> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = now + this.ttlSeconds * 1000;
    await this.db()('sessions').insert({ id, user_id: userId, created_at: now, expires_at: expiresAt, revoked_at: null });
    cookieJar(ctx, this.#secure).set(SESSION_COOKIE, `${id}.${this.#sign(id)}`, this.#cookieOptions(this.ttlSeconds * 1000));
    return { id, userId, expiresAt };
  }

  async current(ctx: Context): Promise<Session | undefined> {
    const raw = ctx.cookies.get(SESSION_COOKIE);
    if (!raw) return undefined;
    const dot = raw.lastIndexOf('.');
    const id = raw.slice(0, dot);
    if (dot < 1 || !safeEqual(raw.slice(dot + 1), this.#sign(id))) return undefined;
    const row = await this.db()('sessions').where({ id }).first();
    if (!row || row.revoked_at !== null || Number(row.expires_at) <= Date.now()) return undefined;
    return { id, userId: row.user_id, expiresAt: Number(row.expires_at) };
  }

  async end(ctx: Context): Promise<void> {
    const session = await this.current(ctx);
    if (session) await this.db()('sessions').where({ id: session.id }).update({ revoked_at: Date.now() });
    cookieJar(ctx, this.#secure).set(SESSION_COOKIE, '', this.#cookieOptions(0));
  }

  async revokeUser(userId: string): Promise<number> {
    return this.db()('sessions').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: Date.now() });
  }

  /**
   * A CSRF token bound to a browser: a random nonce in its own cookie, and the form carries HMAC(nonce), so a page
   * on another origin can neither read nor forge it.
   */
  csrfToken(ctx: Context): string {
    // A nonce set earlier in this request is not in its Cookie header: a page with several forms shares it.
    let nonce = (ctx.state.csrfNonce as string | undefined) ?? ctx.cookies.get(CSRF_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{32,64}$/.test(nonce)) {
      nonce = randomBytes(24).toString('base64url');
      cookieJar(ctx, this.#secure).set(CSRF_COOKIE, nonce, Object.assign(this.#cookieOptions(), { sameSite: 'lax' as const }));
      ctx.state.csrfNonce = nonce;
    }
    return this.#sign(`csrf:${nonce}`);
  }

  checkCsrf(ctx: Context, token: string | undefined): boolean {
    const nonce = ctx.cookies.get(CSRF_COOKIE);
    return !!nonce && !!token && safeEqual(token, this.#sign(`csrf:${nonce}`));
  }
}
