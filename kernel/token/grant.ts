import type { GrantHandler } from '../contracts.js';
import { BootError } from '../errors.js';
import type { Registry } from '../plugin/registry.js';

/**
 * Declares a grant type handler. `const` keeps `requiredParams` a tuple of literals, so `ctx.params.code` is a
 * `string` in `handle` when the grant requires `code`, and `string | undefined` for anything it does not require.
 */
export function defineGrant<const P extends string = never>(grant: GrantHandler<P>): GrantHandler<P> {
  return grant;
}

/**
 * Boot, after register: a grant whose tokens could outlive their signing key in the JWKS (retired keys stay
 * published `signing.retiredKeyRetention` seconds) is refused here, once, rather than failing every request.
 */
export function checkGrantLifetimes(grants: Registry<GrantHandler>, retiredKeyRetention: number): void {
  for (const [grantType, grant] of grants.entries()) {
    const ttl = grant.tokenTtl;
    if (Number.isInteger(ttl) && ttl > 0 && ttl <= retiredKeyRetention) continue;
    const plugin = grants.owner(grantType);
    const why =
      Number.isInteger(ttl) && ttl > 0
        ? `longer than signing.retiredKeyRetention (${retiredKeyRetention}s): a token would outlive its signing key in the JWKS; ` +
          `shorten the lifetime plugin '${plugin}' gives it, or raise signing.retiredKeyRetention`
        : 'not a positive whole number of seconds';
    throw new BootError('AP_ERR_GRANT_TTL_TOO_LONG', `grant type '${grantType}' of plugin '${plugin}' has tokenTtl ${typeof ttl === 'number' ? `${ttl}s` : String(ttl)}, ${why}`);
  }
}
