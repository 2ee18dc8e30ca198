/**
 * cimd: OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document), as MCP clients (Claude,
 * VS Code, ChatGPT) use them: an https `client_id` with a path is the URL of the client's metadata.
 * - Taps `resolveClient` ahead of the clients plugin (stage -10) for URL ids only; database ids (`ap_…`) never
 *   start with a scheme, so the two never claim the same id. Works at /oauth/authorize and at the token endpoint.
 * - Fetch (fetch-document.ts): no redirects, `fetchTimeout`, `maxDocumentSize` counted while streaming, JSON only;
 *   SSRF guard on the resolved and connected address (address-guard.ts) unless `allowPrivateAddresses`.
 * - Cache (resolver.ts): Cache-Control/Expires capped by `cacheTtl`, one fetch per URL at a time, failures kept
 *   `failureCacheTtl`, at most `maxConcurrentFetches` in flight, `maxConcurrentFetchesPerRequester` for one client
 *   address (IPv6: its /64) and `maxConcurrentFetchesPerHost` for one document host (fetch-slots.ts).
 * - client_ids longer than 512 characters (the client_id columns' size) are refused before any fetch.
 * - Clients are persisted through the `clients` service (`upsertWithId`, registration_source `cimd`; audit
 *   client_registered). `admin_only` DCR mode stops CIMD: uses service `dcrSettings`, so it depends on dcr.
 * - Taps `discoveryMetadata`: `client_id_metadata_document_supported: true`.
 * - Metric: authserver_cimd_fetch_duration_seconds{outcome}.
 */
import { defineErrors, definePlugin } from 'authplane';
import { MetadataDocumentResolver } from './resolver.js';
import { cimdOptionsSchema, type CimdOptions } from './schema.js';

export type { CimdOptions } from './schema.js';

const LOCALHOST_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

const cimdErrors = defineErrors('cimd', {
  PRIVATE_ADDRESSES: '`cimd.allowPrivateAddresses` is on with an issuer that is not localhost; it lets any client_id make the server fetch internal addresses, so it is for local development only.',
});

export const cimd = definePlugin({
  name: 'cimd',
  dependsOn: ['clients', 'dcr'],
  schema: cimdOptionsSchema,
  errors: cimdErrors,
  register(api, options) {
    const issuerHost = new URL(api.config.server.issuer).hostname;
    if (options.allowPrivateAddresses && !LOCALHOST_NAMES.has(issuerHost)) {
      throw cimdErrors.PRIVATE_ADDRESSES(
        `cimd.allowPrivateAddresses lets client_ids make this server fetch internal addresses; it is allowed only with a localhost issuer, not ${issuerHost}`,
      );
    }
    const fetchDuration = api.metrics.histogram({
      name: 'authserver_cimd_fetch_duration_seconds',
      help: 'Client ID metadata document fetches, by outcome (ok, refused_address, redirect, too_large, timeout, …)',
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    const resolver = new MetadataDocumentResolver(options, {
      runtime: api.runtime,
      clients: () => api.use('clients'),
      settings: () => api.use('dcrSettings'),
      refreshEnabled: () => api.registries.grantTypes.has('refresh_token'),
      fetchDuration,
      now: () => Date.now(),
    });
    // Ahead of the clients plugin's database lookup, which would otherwise answer with a stale persisted copy.
    api.hooks.resolveClient.tapPromise({ name: api.name, stage: -10 }, (clientId, request) => resolver.resolve(clientId, request));
    api.hooks.discoveryMetadata.tap(api.name, (doc) => ({ ...doc, client_id_metadata_document_supported: true }));
  },
});
