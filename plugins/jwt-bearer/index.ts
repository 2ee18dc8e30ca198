/**
 * jwt-bearer: the JWT bearer authorization grant (RFC 7523 §2.1) with the Identity Assertion JWT Authorization Grant
 * profile (ID-JAG, draft-ietf-oauth-identity-assertion-authz-grant; MCP Enterprise-Managed Authorization, Cross-App
 * Access): an enterprise IdP asserts a user's identity to a client, which trades it here for an access token.
 * - `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, confidential clients only, `assertion` an ID-JAG
 *   (`typ: oauth-id-jag+jwt`) from an enabled trusted issuer, `aud` our issuer (or the issuer's configured
 *   audience), `iat` within `maxAssertionAge`, `jti` single use, `client_id` the authenticated client.
 * - Scope = client ceiling ∩ assertion ∩ request ∩ policy; no refresh token; `act: {sub: <idp issuer>}`; DPoP binds
 *   it like any token (the kernel applies the request's proof).
 * - Policies `/admin/xaa/policies` (idp, client_ids, scopes, resources, enabled; empty = no restriction; no match →
 *   403 access_denied) and subject mappings `/admin/xaa/subject-mappings`; the issuer's `subject_mode` decides
 *   whether an unmapped user gets `<issuer>:<sub>` (auto_map) or is refused (strict).
 * - Taps `discoveryMetadata`: `authorization_grant_profiles_supported`.
 * Uses services `trustedIssuers` (keys, jtis) and `resources` (the target): hence the dependencies.
 * Audit: jwt_bearer_issued, jwt_bearer_denied (detail.reason), xaa_policy_*, xaa_subject_mapping_*.
 * Metrics: authplane_xaa_grants_total{idp}, authplane_xaa_grants_denied_total{reason}.
 * - Admin console page `xaa` (`adminPages`, admin-ui/ap-xaa-page.ts).
 */
import { definePlugin } from 'authplane';
import { ID_JAG_PROFILE, JWT_BEARER, jwtBearerGrant } from './grant.js';
import { jwtBearerMigrations } from './migrations.js';
import { registerXaaRoutes, XaaStore } from './policies.js';
import { jwtBearerSchema } from './schema.js';

export type { JwtBearerOptions } from './schema.js';

export const jwtBearer = definePlugin({
  name: 'jwt-bearer',
  dependsOn: ['trusted-issuers', 'resources'],
  schema: jwtBearerSchema,
  register(api, options) {
    api.migrations(jwtBearerMigrations);
    const store = new XaaStore(api.runtime);
    // The kernel refuses a tokenTtl above signing.retiredKeyRetention at boot, naming this grant and plugin.
    const tokenTtl = options.tokenTtl ?? api.config.tokens.accessTokenTtl;
    api.registries.grantTypes.register(JWT_BEARER, jwtBearerGrant(api, options, tokenTtl, store));
    registerXaaRoutes(api, store);
    api.registries.adminPages.register('xaa', {
      path: 'xaa',
      title: 'XAA policies',
      icon: 'shield',
      module: new URL('./admin-ui/ap-xaa-page.ts', import.meta.url).href,
      element: 'ap-xaa-page',
      permission: 'admin',
      section: 'Security',
      order: 55,
    });
    api.hooks.discoveryMetadata.tap(api.name, (doc) => {
      const profiles = (doc.authorization_grant_profiles_supported as string[] | undefined) ?? [];
      return { ...doc, authorization_grant_profiles_supported: [...new Set([...profiles, ID_JAG_PROFILE])] };
    });
  },
});
