/**
 * rate-limit: per-client-IP token buckets on the public listener, on by default.
 * - Three classes (classify.ts): `strict` (POST /login, POST /login/<provider>/callback, POST /oauth/register),
 *   `token` (/oauth/token, /introspect, /revoke) and `default` (everything else); /health, /livez, /ready and
 *   /.well-known/* are never limited.
 * - Over the limit: 429 with `Retry-After`; OAuth `slow_down` JSON under /oauth/, RFC 9457 problem elsewhere.
 * - The address is the kernel's `ctx.state.clientIp` (X-Forwarded-For only from `server.trustedProxies`); IPv6 is
 *   counted per /64 (the kernel's `clientKey`, which the login lockout keys on too). On SQLite, buckets are in
 *   memory, bounded by `maxBuckets`; on PostgreSQL (a database replicas share) the counts are fixed windows in
 *   table `rate_limit_windows`, one atomic upsert per request, so replicas share one budget (`shared`, default on).
 * Taps: `httpMiddleware` (public listener). Purge target: `rate_limit_windows`. Metric: authserver_rate_limited_total{class}.
 */
import { definePlugin } from 'authplane';
import { rateLimitWindows0001 } from '../../migrations/rate-limit/0001_rate_limit_windows.js';
import { processBuckets, rateLimitMiddleware, type TakeRequest } from './middleware.js';
import { LIMIT_CLASSES, rateLimitSchema, type LimitClass, type RateLimitOptions } from './schema.js';
import { SharedWindows, windowsEndedBefore } from './shared-windows.js';

export type { RateLimitOptions } from './schema.js';

export const rateLimit = definePlugin({
  name: 'rate-limit',
  schema: rateLimitSchema,
  register(api, options) {
    api.migrations([rateLimitWindows0001]);
    if (!options.enabled) return;
    const longestWindowMs = Math.max(...LIMIT_CLASSES.map((c) => (options[c].capacity / options[c].refillPerSecond) * 1000));
    api.registries.purgeTargets.register('rate_limit_windows', {
      description: 'shared rate-limit counts of windows that are over',
      deletes: ({ now }) => [windowsEndedBefore(now.getTime() - longestWindowMs - 1000)],
    });
    const limited = api.metrics.counter({
      name: 'authserver_rate_limited_total',
      help: 'Requests refused with 429 by the per-IP rate limit, by class (strict, token, default)',
      labelNames: ['class'] as const,
    });
    api.hooks.httpMiddleware.tap(api.name, (middleware, listener) => {
      // One limiter per app built, so two servers in one process (tests) never share buckets.
      if (listener !== 'public') return;
      // Built when the server listens: the database is open, and whether it is shared is known.
      const runtime = api.runtime();
      let take: TakeRequest;
      if (options.shared && runtime.replicas.shared) {
        const windows = Object.fromEntries(
          LIMIT_CLASSES.map((name) => [name, new SharedWindows(name, options[name], () => runtime.db, api.log)]),
        ) as Record<LimitClass, SharedWindows>;
        take = (limitClass, key) => windows[limitClass].take(key);
      } else {
        take = processBuckets(options);
      }
      middleware.push(rateLimitMiddleware(take, limited));
    });
  },
});
