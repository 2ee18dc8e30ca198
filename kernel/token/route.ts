import type { RouteTable } from '../http/routes.js';
import type { Metrics } from '../observe/metrics.js';
import { createTokenEndpoint, tokenMetrics } from './endpoint.js';

/** `POST /oauth/token`, the kernel's one OAuth route: the dispatcher over the registered grant types. */
export function registerTokenRoute(
  routes: RouteTable,
  deps: () => Parameters<typeof createTokenEndpoint>[0],
  metrics: Metrics,
): void {
  tokenMetrics(metrics);
  let tokenEndpoint: ReturnType<typeof createTokenEndpoint> | undefined;
  routes.add({
    listener: 'public',
    method: 'POST',
    path: '/oauth/token',
    owner: 'kernel',
    options: {},
    handler: (ctx) => {
      // Built on first use (its settings read then): register has frozen the hooks, so untapped ones are skipped for good.
      tokenEndpoint ??= createTokenEndpoint(deps());
      return tokenEndpoint(ctx);
    },
  });
}
