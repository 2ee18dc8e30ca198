/**
 * token-exchange: RFC 8693 token exchange, one agent acting for a user towards another resource.
 * - `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, confidential clients only. `subject_token` (and
 *   optional `actor_token`) must be access tokens this server issued, still active; `scope` only narrows;
 *   `resource` / `audience` name the target (URI or slug), else the subject token's own resource.
 * - The new token keeps `sub` and adds an RFC 8693 §4.1 `act` hop: the acting client (impersonation) or the actor
 *   token's subject (delegation), the subject token's chain nested inside; `tokenExchange.maxChainDepth` caps it.
 * - Gates, in order: target registered → its `policy.exchange.allowed_client_ids` → cross-client exchange listed
 *   there → scope within the subject token's → the user's consent to the original client still stands (service
 *   `consents` of the oauth plugin, which every user token comes from: hence the dependency).
 * - Fronting: when the subject token is for a resource whose `policy.runtime.client_ids` lists the acting client and
 *   a fronting link joins it to the target (service `fronting`: hence the dependency), the link replaces the target's
 *   exchange policy and consent; the scopes are the subject token's mapped through the link's scope_map.
 * - DPoP: a proof binds the new token to its key; without one the subject token's `cnf.jkt` carries over.
 * - Backends: a target whose `backend_kind` is not `mint` is served by the backend another plugin registered for
 *   that kind through the `tokenExchange` service (backends.ts, types.ts): after the common gates — subject token,
 *   target, no `actor_token`, the target's exchange policy — the backend answers (the broker vends an upstream
 *   token through `ctx.vendUpstreamToken`). Without one such a target is `invalid_target`.
 * Registers: grant type `urn:ietf:params:oauth:grant-type:token-exchange` (listed in discovery by the kernel).
 * Provides: service `tokenExchange` (`registerBackend(kind, backend)`, in register only).
 * Audit: token_exchanged (detail: kind, act, actors, subject_jti, actor_jti, fronting_link_id), token_exchange_denied (detail.reason).
 * Metrics: authplane_token_exchange_total{kind,source,target}, authplane_token_exchange_denied_total{reason}.
 */
import { definePlugin } from 'authplane';
import { ExchangeBackends } from './backends.js';
import { tokenExchangeErrors } from './errors.js';
import { CARRIED_BINDING, TOKEN_EXCHANGE, tokenExchangeGrant } from './grant.js';
import { tokenExchangeSchema } from './schema.js';

export type { TokenExchangeOptions } from './schema.js';
export type { ExchangeBackend, ExchangeBackendRequest, ExchangeOrigin, ExchangeSubjectClaims, TokenExchangeService } from './types.js';

export const tokenExchange = definePlugin({
  name: 'token-exchange',
  // oauth: the consents service; every user token, and so every consent an exchange must respect, comes from it.
  // fronting: the links that let a gateway exchange a token for the resource it fronts.
  dependsOn: ['resources', 'oauth', 'fronting'],
  schema: tokenExchangeSchema,
  errors: tokenExchangeErrors,
  register(api, options) {
    // The kernel refuses a tokenTtl above signing.retiredKeyRetention at boot, naming this grant and plugin.
    const tokenTtl = options.tokenTtl ?? api.config.tokens.accessTokenTtl;
    const backends = new ExchangeBackends();
    api.provide('tokenExchange', backends);
    api.registries.grantTypes.register(TOKEN_EXCHANGE, tokenExchangeGrant(api, options, tokenTtl, backends));
    // RFC 9449 §5: a token bound to a key is a DPoP token, also when the binding came from the subject token. A
    // backend's vended upstream token is bound to nothing of ours and keeps the provider's token_type.
    api.hooks.tokenResponse.tap(api.name, (body, ctx) =>
      ctx.grantType === TOKEN_EXCHANGE && ctx.state[CARRIED_BINDING] === true && !ctx.vended ? Object.assign({}, body, { token_type: 'DPoP' }) : body,
    );
    return {
      // Every plugin has registered: a backend registered later would serve some requests and not others.
      async init() {
        backends.close();
      },
    };
  },
});
