/**
 * Binding issued tokens to the proof's key (RFC 9449 §6): `cnf.jkt` in the access token and `token_type: DPoP` in
 * the response. Both taps are synchronous and only read what the `tokenRequest` tap left in the context's state.
 * Refresh-token binding belongs to the plugin that stores refresh tokens (oauth reads `state.dpopJkt` itself).
 */
import type { RegisterApi } from 'authplane';

/** Set by the claims tap: the access token of this response really carries `cnf`, so `DPoP` is the truth. */
const BOUND = 'dpopAccessTokenBound';

export function tapTokenBinding(api: RegisterApi, algorithms: readonly string[]): void {
  api.hooks.accessTokenClaims.tap(api.name, (claims, { input }) => {
    const { state } = input.tokenContext;
    const jkt = state.dpopJkt;
    if (typeof jkt !== 'string') return claims;
    state[BOUND] = true;
    // RFC 9449 §6.1: the JWK SHA-256 thumbprint confirmation method.
    // Object.assign, not `{ ...claims, cnf }`: a literal opening with a spread costs a hidden class per token on Node 20.
    return Object.assign({}, claims, { cnf: Object.assign({}, claims.cnf as Record<string, unknown> | undefined, { jkt }) });
  });

  // RFC 9449 §5: a bound access token is announced as token_type DPoP — only once the claims tap really bound it
  // (every grant issues through its context, so that is every token of a request with a checked proof). A vended
  // token is an upstream provider's, which no proof of ours binds: its token_type stays the provider's.
  api.hooks.tokenResponse.tap(api.name, (body, ctx) => (ctx.state[BOUND] === true && !ctx.vended ? Object.assign({}, body, { token_type: 'DPoP' }) : body));

  // RFC 9449 §5.1: the algorithms this server accepts for proofs.
  api.hooks.discoveryMetadata.tap(api.name, (doc) => Object.assign({}, doc, { dpop_signing_alg_values_supported: [...algorithms] }));
}
