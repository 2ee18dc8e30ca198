/**
 * issuances: the record of every issued access token, for administrators. The kernel's issuer writes one
 * immutable `token_issuances` row per token (jti, subject, client, audience, scope, grant, issued/expires/revoked_at,
 * parent_jti) before the token is sent; this plugin reads them back and revokes single tokens.
 * - Admin API: `GET /admin/issuances?user=&client=&resource=&jti=&since=&limit=&cursor=` (keyset pages, `next` cursor),
 *   `GET /admin/issuances/{jti}`, `DELETE /admin/issuances/{jti}` (idempotent revocation through the kernel's jti
 *   denylist, cascading to the tokens derived from it). CLI: `authserver admin issuance list|get|revoke` over the same operations module.
 * Audit: token_revoked (detail.reason = admin). Metric: authserver_tokens_revoked_total{reason="admin"}.
 * Console page `issuances` (`adminPages`, admin-ui/ap-issuances-page.ts).
 * Taps no hooks; provides and uses no services.
 */
import { definePlugin } from 'authplane';
import { registerIssuanceRoutes } from './admin-routes.js';
import { registerIssuanceCommands } from './cli.js';
import { IssuanceOperations } from './operations.js';
import { IssuanceStore } from './store.js';

export const issuances = definePlugin({
  name: 'issuances',
  register(api) {
    api.registries.adminPages.register('issuances', {
      path: 'issuances',
      title: 'Issuances',
      icon: 'shield',
      module: new URL('./admin-ui/ap-issuances-page.ts', import.meta.url).href,
      element: 'ap-issuances-page',
      permission: 'admin',
      section: 'Security',
      order: 10,
    });
    const revoked = api.metrics.counter({
      name: 'authserver_tokens_revoked_total',
      help: 'Tokens revoked, by reason (client_request at /oauth/revoke, admin through the admin API or CLI)',
      labelNames: ['reason'] as const,
    });
    const operations = new IssuanceOperations(new IssuanceStore(api.runtime), api.runtime, revoked);
    registerIssuanceRoutes(api, operations);
    registerIssuanceCommands(api, operations);
  },
});
