/**
 * trusted-issuers: the issuers whose JWTs this server accepts from outside, and the one JWKS cache and single-use
 * jti store every such JWT goes through (RFC 7523 §3; draft-ietf-oauth-identity-assertion-authz-grant).
 * - Tables `trusted_issuers` (name, issuer compared exactly, jwks_uri or discovered from the issuer's OpenID
 *   metadata, audience defaulting to our issuer, enabled, workload, subject_mode), `workload_rules` (issuer, sub,
 *   claim values → client) and `assertion_jtis` (migrations/trusted-issuers).
 * - JWKS cached for `jwksCacheTtl`, refetched once on an unknown `kid` (at most every `unknownKidRefetchInterval`),
 *   fetched through the kernel's SSRF-guarded `outboundRequest` (loopback and private addresses only with
 *   `allowPrivateAddresses`).
 * - Provides service `trustedIssuers` (types.ts): used by private-key-jwt (client keys at a `jwks_uri`, workload
 *   tokens) and jwt-bearer (ID-JAGs).
 * - Admin API `/admin/idps…` (CRUD, `POST /admin/idps/{id}/refresh`, `/admin/idps/{id}/workload-rules`) and CLI
 *   `authserver admin idp …`, one operations module behind both.
 * - Purge target `assertion_jti`. Audit: idp_created, idp_updated, idp_deleted, idp_jwks_refreshed,
 *   workload_rule_created, workload_rule_deleted. Metric: authplane_xaa_jwks_fetches_total{result}.
 * - Admin console page `trusted-issuers` (`adminPages`, admin-ui/ap-trusted-issuers-page.ts).
 */
import { definePlugin } from 'authplane';
import { registerIssuerRoutes } from './admin-routes.js';
import { registerIssuerCommands } from './cli.js';
import { trustedIssuerErrors } from './errors.js';
import { registerJtiPurge } from './jti.js';
import { JwksCache } from './jwks-cache.js';
import { trustedIssuerMigrations } from './migrations.js';
import { IssuerOperations } from './operations.js';
import { trustedIssuersSchema } from './schema.js';
import { IssuerStore } from './store.js';
import { TrustedIssuerService } from './verifier.js';

export type { TrustedIssuersOptions } from './schema.js';
export type { TrustedIssuer, TrustedIssuers, WorkloadRule, VerifyOptions, VerifiedJwt, UnverifiedJwt, KeySource, SubjectMode } from './types.js';
export { AssertionRejected } from './types.js';

export const trustedIssuers = definePlugin({
  name: 'trusted-issuers',
  schema: trustedIssuersSchema,
  errors: trustedIssuerErrors,
  register(api, options) {
    api.migrations(trustedIssuerMigrations);
    const fetches = api.metrics.counter({
      name: 'authplane_xaa_jwks_fetches_total',
      help: "Fetches of trusted issuers' and clients' JWKS, by result (ok, error)",
      labelNames: ['result'] as const,
    });
    const limits = { timeoutMs: options.fetchTimeout, allowPrivateAddresses: options.allowPrivateAddresses };
    const now = () => api.runtime().now();
    const cache = new JwksCache(now, options.jwksCacheTtl * 1000, options.unknownKidRefetchInterval * 1000, limits, (result) => fetches.inc({ result }));
    const store = new IssuerStore(api.runtime);
    const service = new TrustedIssuerService(api.runtime, store, cache, limits, options.jwksCacheTtl * 1000);
    api.provide('trustedIssuers', service);
    const operations = new IssuerOperations(store, service, api.runtime);
    registerIssuerRoutes(api, operations);
    api.registries.adminPages.register('trusted-issuers', {
      path: 'trusted-issuers',
      title: 'Trusted issuers',
      icon: 'shield',
      module: new URL('./admin-ui/ap-trusted-issuers-page.ts', import.meta.url).href,
      element: 'ap-trusted-issuers-page',
      permission: 'admin',
      section: 'Security',
      order: 50,
    });
    registerIssuerCommands(api, operations);
    registerJtiPurge(api);
    return {
      async start(rt) {
        if (options.allowPrivateAddresses) rt.log.warn('trusted-issuers.allowPrivateAddresses is on: JWKS may be fetched from internal addresses (local development only)');
      },
    };
  },
});
