import type { Context } from 'koa';

/**
 * The request's cookie jar, marked secure when the issuer is https. TLS usually ends at a proxy in front of the
 * server, so the socket is plain http while the browser used https: koa's jar judges by the socket and would
 * refuse to write a `Secure` cookie (a 500 on every login page). The issuer's scheme is what the browser used.
 */
export function cookieJar(ctx: Context, issuerIsHttps: boolean): Context['cookies'] {
  const jar = ctx.cookies;
  if (issuerIsHttps) jar.secure = true;
  return jar;
}
