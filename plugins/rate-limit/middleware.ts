import type { Middleware } from 'koa';
import { clientKey, ProblemError, SlowDown } from 'authplane';
import type { Counter } from 'prom-client';
import { TokenBuckets } from './buckets.js';
import { limitClassOf } from './classify.js';
import { LIMIT_CLASSES, type LimitClass, type RateLimitOptions } from './schema.js';

/** Takes one request from `key`'s budget in `limitClass`: 0 when allowed, else the seconds to wait. */
export type TakeRequest = (limitClass: LimitClass, key: string) => number | Promise<number>;

/** Token buckets in this process's memory (SQLite, or `shared: false`). */
export function processBuckets(options: Readonly<RateLimitOptions>): TakeRequest {
  const buckets = Object.fromEntries(
    LIMIT_CLASSES.map((name) => [name, new TokenBuckets(options[name], options.maxBuckets)]),
  ) as Record<LimitClass, TokenBuckets>;
  return (limitClass, key) => buckets[limitClass].take(key);
}

/**
 * The public listener's limiter. The client address is `ctx.state.clientIp`, which the kernel takes from
 * `X-Forwarded-For` only when the connection comes from one of `server.trustedProxies`, so a client cannot pick
 * its own bucket by sending the header.
 */
export function rateLimitMiddleware(take: TakeRequest, limited: Counter<'class'>): Middleware {
  return async (ctx, next) => {
    const limitClass = limitClassOf(ctx.method, ctx.path);
    if (limitClass) {
      const taken = take(limitClass, clientKey(ctx.state.clientIp as string));
      // In-process buckets answer synchronously: no await (and no extra microtask) on the hot path.
      const retryAfter = typeof taken === 'number' ? taken : await taken;
      if (retryAfter > 0) {
        limited.inc({ class: limitClass });
        // RFC 6585 §4 / RFC 9110 §10.2.3: 429 with how long to wait.
        const headers = { 'Retry-After': String(retryAfter) };
        const detail = `too many requests from this address; retry after ${retryAfter} s`;
        if (ctx.path.startsWith('/oauth/')) throw new SlowDown(detail, { headers });
        throw new ProblemError(429, 'Too Many Requests', detail, { headers });
      }
    }
    await next();
  };
}
