/**
 * The part of oidc-provider (a test dependency, shipped without types) the broker tests use: a real upstream
 * OpenID provider for authorization code and refresh rotation, and the events its token endpoint emits.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    /** `grant.success` / `grant.error`: a token endpoint request answered (the provider is an EventEmitter). */
    on(event: 'grant.success', listener: (ctx: TokenEndpointContext) => void): this;
    on(event: 'grant.error', listener: (ctx: TokenEndpointContext, error: { error?: string }) => void): this;
  }

  /** The koa context of a token endpoint request, as far as the tests read it. */
  export interface TokenEndpointContext {
    oidc: { params?: { grant_type?: unknown } };
  }
}
