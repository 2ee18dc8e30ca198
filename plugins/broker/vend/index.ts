/**
 * Vending upstream tokens: the broker's backend for `broker` resources on the token-exchange grant
 * (`tokenExchange.registerBackend`), with the refresh machinery and the operator credentials behind it.
 * Metric: `upstream_token_refresh_total{outcome,provider}`. Audit: broker_grant_updated, broker_grant_revoked
 * (here), upstream_token_issued (the kernel, for every vend), token_exchange_denied (the grant, for every refusal).
 */
import type { RegisterApi } from 'authplane';
import type { GrantStore } from '../grants/store.js';
import type { BrokerOptions } from '../schema.js';
import type { ProviderDirectory } from '../types.js';
import { UpstreamClient } from '../upstream-client.js';
import { FreshGrants, type RefreshOutcome } from './fresh-grant.js';
import { OperatorCredentials } from './operator-credentials.js';
import { vendBackend } from './vend-backend.js';

export function registerVend(api: RegisterApi, options: Readonly<BrokerOptions>, grants: GrantStore, providers: ProviderDirectory): void {
  const refreshes = api.metrics.counter({
    name: 'upstream_token_refresh_total',
    help: 'Refreshes of users\' upstream grants before a vend, by outcome (success, failed: refused upstream and the grant revoked, error: no usable answer, raced: another write came first) and provider slug',
    labelNames: ['outcome', 'provider'] as const,
  });
  const runtime = api.runtime;
  const upstream = new UpstreamClient({
    outbound: options.outbound,
    environmentVariable: (name) => api.environmentVariable(name),
    now: () => runtime().now(),
  });
  const refreshSkewMs = options.vend.refreshSkewSeconds * 1000;
  const freshGrants = new FreshGrants({
    grants,
    upstream,
    runtime,
    log: api.log,
    refreshSkewMs,
    countRefresh: (outcome: RefreshOutcome, provider: string) => refreshes.inc({ outcome, provider }),
  });
  const operator = new OperatorCredentials({
    upstream,
    runtime,
    log: api.log,
    environmentVariable: (name) => api.environmentVariable(name),
    refreshSkewMs,
  });
  const exchange = vendBackend({
    grants,
    providers,
    freshGrants,
    operator,
    services: () => {
      const rt = runtime();
      return { issuer: rt.config.server.issuer, resources: rt.use('resources'), consents: rt.use('consents'), now: () => rt.now() };
    },
  });
  api.use('tokenExchange').registerBackend('broker', { plugin: api.name, exchange });
}
