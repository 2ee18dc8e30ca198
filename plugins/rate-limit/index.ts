/**
 * rate-limit: per-client-IP token buckets on the public listener, on by default.
 * - Three classes (classify.ts): `strict` (POST /login, POST /login/<provider>/callback, POST /oauth/register),
 *   `token` (/oauth/token, /introspect, /revoke) and `default` (everything else); /health, /livez, /ready and
 *   /.well-known/* are never limited.
 * - Over the limit: 429 with `Retry-After`; OAuth `slow_down` JSON under /oauth/, RFC 9457 problem elsewhere.
 * - The address is the kernel's `ctx.state.clientIp` (X-Forwarded-For only from `server.trustedProxies`); IPv6 is
 *   counted per /64 (the kernel's `clientKey`, which the login lockout keys on too). Buckets are in memory per
 *   process (replicas count separately), bounded by `maxBuckets`.
 * Taps: `httpMiddleware` (public listener). Metric: authserver_rate_limited_total{class}.
 */
import { definePlugin } from 'authplane';
import { rateLimitMiddleware } from './middleware.js';
import { rateLimitSchema, type RateLimitOptions } from './schema.js';

export type { RateLimitOptions } from './schema.js';

export const rateLimit = definePlugin({
  name: 'rate-limit',
  schema: rateLimitSchema,
  register(api, options) {
    if (!options.enabled) return;
    const limited = api.metrics.counter({
      name: 'authserver_rate_limited_total',
      help: 'Requests refused with 429 by the per-IP rate limit, by class (strict, token, default)',
      labelNames: ['class'] as const,
    });
    api.hooks.httpMiddleware.tap(api.name, (middleware, listener) => {
      // One limiter per app built, so two servers in one process (tests) never share buckets.
      if (listener === 'public') middleware.push(rateLimitMiddleware(options, limited));
    });
  },
});
